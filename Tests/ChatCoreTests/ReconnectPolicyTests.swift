import ChatCore
import Testing

@Suite struct ReconnectPolicyTests {
    /// Delays equal to the ceiling, so the expected values are exact.
    func policy(canRefreshToken: Bool = true) -> ReconnectPolicy {
        ReconnectPolicy(canRefreshToken: canRefreshToken, backoff: Backoff(base: .milliseconds(100), cap: .seconds(1), random: { $0.upperBound }))
    }

    @Test(arguments: [1001, 4008])
    func theServerAskingToResumeReconnectsAtOnce(code: Int) {
        var policy = policy()
        #expect(policy.decide(.closed(code: code, reason: "")) == .now)
    }

    @Test func droppedConnectionsBackOffExponentiallyUntilOneWorks() {
        var policy = policy()
        #expect(policy.decide(.dropped("connection refused")) == .after(.milliseconds(100)))
        #expect(policy.decide(.dropped("connection refused")) == .after(.milliseconds(200)))
        #expect(policy.decide(.closed(code: 1006, reason: "")) == .after(.milliseconds(400)))
        #expect(policy.decide(.rejected(status: 503)) == .after(.milliseconds(800)))
        #expect(policy.decide(.dropped("reset")) == .after(.seconds(1)))
        policy.connected()
        #expect(policy.decide(.dropped("reset")) == .after(.milliseconds(100)))
    }

    @Test func anExpiredTokenIsRefreshedInDevelopmentMode() {
        var policy = policy(canRefreshToken: true)
        #expect(policy.decide(.closed(code: 4001, reason: "token expired")) == .refreshToken)
        // The fresh token works; later it expires again: refresh again.
        policy.connected()
        #expect(policy.decide(.closed(code: 4001, reason: "token expired")) == .refreshToken)
    }

    @Test func aRefreshedTokenRefusedAgainGivesUp() {
        var policy = policy(canRefreshToken: true)
        #expect(policy.decide(.rejected(status: 401)) == .refreshToken)
        guard case .giveUp = policy.decide(.rejected(status: 401)) else {
            Issue.record("expected to give up")
            return
        }
    }

    @Test func anExpiredTokenGivenOnTheCommandLineEndsTheSessionSayingSo() {
        var policy = policy(canRefreshToken: false)
        guard case .giveUp(let reason) = policy.decide(.closed(code: 4001, reason: "token expired")) else {
            Issue.record("expected to give up")
            return
        }
        #expect(reason.contains("token expired"))
        #expect(reason.contains("--token"))
    }

    @Test(arguments: [Disconnect.closed(code: 1008, reason: "x"), .closed(code: 1009, reason: ""), .rejected(status: 403), .rejected(status: 400)])
    func refusalsThatWillNotChangeGiveUp(disconnect: Disconnect) {
        var policy = policy()
        guard case .giveUp = policy.decide(disconnect) else {
            Issue.record("expected to give up on \(disconnect)")
            return
        }
    }

    @Test func rateLimitAbuseAndUnexpectedClosesBackOff() {
        var policy = policy()
        #expect(policy.decide(.closed(code: 4029, reason: "")) == .after(.milliseconds(100)))
        #expect(policy.decide(.closed(code: 1000, reason: "bye")) == .after(.milliseconds(200)))
        #expect(policy.decide(.rejected(status: nil)) == .after(.milliseconds(400)))
    }
}
