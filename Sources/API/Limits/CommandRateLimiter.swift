import Foundation
import Metrics
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
    private let buckets = Mutex<(table: [String: Bucket], evictAbove: Int)>(([:], CommandRateLimiter.evictionFloor))
    private let clock = ContinuousClock()
    /// The table is pruned once it holds this many users, then again at twice what survived:
    /// memory stays bounded by the users active in the last `burst / rate` seconds, and the cost
    /// of pruning is amortised (a prune on every command above a fixed size would make 10,000
    /// active users a quadratic load).
    static let evictionFloor = 10_000

    /// Counted in `tideline_rate_limited_total{limit}` when it refuses (nil: not counted).
    private let limit: String?

    public init(rate: Double, burst: Double, limit: String? = nil) {
        self.rate = rate
        self.burst = burst
        self.limit = limit
    }

    /// Takes one token for `user`.
    /// - Returns: nil when allowed, else the whole seconds to wait before the next command.
    public func acquire(for user: String) -> Int? {
        acquire(for: user, now: clock.now)
    }

    /// `acquire(for:)` at a given instant (tests move time by hand).
    public func acquire(for user: String, now: ContinuousClock.Instant) -> Int? {
        let wait = buckets.withLock { state -> Int? in
            if state.table.count >= state.evictAbove {
                evictFull(&state.table, now: now)
                state.evictAbove = max(Self.evictionFloor, 2 * state.table.count)
            }
            var bucket = state.table[user] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + rate * (now - bucket.updated).seconds)
            bucket.updated = now
            defer { state.table[user] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
        if wait != nil, let limit { Counter(label: "tideline_rate_limited_total", dimensions: [("limit", limit)]).increment() }
        return wait
    }

    /// How many users the limiter remembers now.
    public var trackedUsers: Int { buckets.withLock { $0.table.count } }

    /// Buckets that have refilled completely carry no information: forget them.
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
