import Foundation
import Synchronization

/// A token bucket per user: `rate` commands per second sustained, `burst` at once (contract
/// section 7: 20/s, bursts of 40).
public final class CommandRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `user`.
    /// - Returns: nil when allowed, else the whole seconds to wait before the next command.
    public func acquire(for user: String) -> Int? {
        let now = clock.now
        return buckets.withLock { buckets -> Int? in
            if buckets.count > 10_000 { evictFull(&buckets, now: now) }
            var bucket = buckets[user] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + rate * (now - bucket.updated).seconds)
            bucket.updated = now
            defer { buckets[user] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    /// Buckets that have refilled completely carry no information: forget them, so memory is
    /// bounded by the users active in the last `burst / rate` seconds.
    private func evictFull(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + rate * (now - bucket.updated).seconds < burst
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
