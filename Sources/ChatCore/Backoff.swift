/// Exponential backoff with full jitter and a cap, for reconnect attempts.
///
/// Attempt n waits a random duration in `0...min(cap, base · 2ⁿ)` ("full jitter"): clients that
/// lost the same server at the same moment spread out instead of coming back in lockstep.
public struct Backoff: Sendable {
    public let base: Duration
    public let cap: Duration
    /// Failed attempts since the last success.
    public private(set) var attempt = 0
    /// Returns a number in the given range; injected so tests are deterministic.
    private let random: @Sendable (ClosedRange<Double>) -> Double

    public init(
        base: Duration = .milliseconds(250),
        cap: Duration = .seconds(10),
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.base = base
        self.cap = max(cap, base)
        self.random = random
    }

    /// The upper bound of the next delay, before jitter.
    public var ceiling: Duration {
        // 2^attempt overflows long after the cap is reached; stop doubling at 2^30.
        let factor = Double(1 << min(attempt, 30))
        return min(cap, base * factor)
    }

    /// The delay before the next attempt; counts the attempt.
    public mutating func nextDelay() -> Duration {
        let upper = ceiling.seconds
        attempt += 1
        let seconds = min(max(random(0...upper), 0), upper)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// Starts over after a connection that worked.
    public mutating func reset() { attempt = 0 }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
