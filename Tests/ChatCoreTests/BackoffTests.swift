import ChatCore
import Testing

@Suite struct BackoffTests {
    @Test func theCeilingDoublesUpToTheCap() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1), random: { $0.upperBound })
        let delays = (0..<7).map { _ in backoff.nextDelay() }
        #expect(delays == [100, 200, 400, 800, 1000, 1000, 1000].map { Duration.milliseconds($0) })
    }

    @Test func jitterPicksWithinZeroAndTheCeiling() {
        let seen = RangeRecorder()
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(10), random: { range in
            seen.ranges.append(range)
            return range.lowerBound + (range.upperBound - range.lowerBound) / 2
        })
        #expect(backoff.nextDelay() == .milliseconds(50))
        #expect(backoff.nextDelay() == .milliseconds(100))
        #expect(seen.ranges == [0...0.1, 0...0.2])
    }

    @Test func aRandomSourceOutOfRangeIsClamped() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1), random: { _ in 99 })
        #expect(backoff.nextDelay() == .milliseconds(100))
    }

    @Test func resetStartsAgainFromTheBase() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(10), random: { $0.upperBound })
        _ = backoff.nextDelay()
        _ = backoff.nextDelay()
        backoff.reset()
        #expect(backoff.attempt == 0)
        #expect(backoff.nextDelay() == .milliseconds(100))
    }

    @Test func manyAttemptsDoNotOverflow() {
        var backoff = Backoff(base: .milliseconds(250), cap: .seconds(10), random: { $0.upperBound })
        for _ in 0..<200 { _ = backoff.nextDelay() }
        #expect(backoff.nextDelay() == .seconds(10))
    }
}

/// Collects what the injected random source was asked for.
final class RangeRecorder: @unchecked Sendable {
    var ranges: [ClosedRange<Double>] = []
}
