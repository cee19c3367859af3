@testable import Realtime
import Testing

/// What the typing relay sends on, and what it remembers.
@Suite struct TypingThrottleTests {
    typealias Throttle = TypingThrottle<ContinuousClock.Instant>
    let start = ContinuousClock.now

    @Test func startedGoesOutOncePerThrottleAndStoppedOnlyAfterARelayedStarted() {
        var throttle = Throttle(throttle: .seconds(2), expiry: .seconds(5))
        let signals: [(started: Bool, at: Duration)] = [
            (false, .zero), (true, .zero), (true, .seconds(1)), (true, .seconds(2)), (false, .seconds(3)), (false, .seconds(3)),
        ]
        let relayed = signals.map { throttle.shouldRelay(room: "r", user: "u", started: $0.started, now: start + $0.at) }
        #expect(relayed == [false, true, false, true, true, false])
    }

    /// Users who start typing and leave without a `stopped` are forgotten once every receiver
    /// has expired their signal: 20,000 of them leave nothing behind.
    @Test func usersWhoNeverSendStoppedAreForgottenAfterTheExpiry() {
        var throttle = Throttle(throttle: .seconds(2), expiry: .seconds(5))
        for user in 0..<20_000 {
            _ = throttle.shouldRelay(room: "r", user: "u\(user)", started: true, now: start)
        }
        throttle.prune(now: start + .seconds(4))
        #expect(throttle.relayed.count == 20_000)
        _ = throttle.shouldRelay(room: "r", user: "late", started: true, now: start + .seconds(4))
        throttle.prune(now: start + .seconds(5))
        #expect(throttle.relayed.count == 1)
        // A user still typing is still throttled after a prune.
        let again = throttle.shouldRelay(room: "r", user: "late", started: true, now: start + .seconds(5))
        #expect(!again)
    }
}
