import API
import Foundation
import Testing

/// Per-user state in memory stays bounded by the users active now, not by every user seen.
@Suite struct BoundedStateTests {
    /// 30,000 users, then 30,000 others once the first have refilled their buckets: the limiter
    /// remembers the 30,000 active ones, and a user who spent a burst is still limited.
    @Test func theRateLimiterForgetsUsersWhoseBucketsHaveRefilled() {
        let limiter = CommandRateLimiter(rate: 20, burst: 40)
        let start = ContinuousClock.now
        for _ in 0..<40 { #expect(limiter.acquire(for: "hot", now: start) == nil) }
        for user in 0..<30_000 { _ = limiter.acquire(for: "early-\(user)", now: start) }
        for user in 0..<30_000 { _ = limiter.acquire(for: "late-\(user)", now: start + .seconds(3)) }
        #expect(limiter.trackedUsers <= 30_001)
        // "hot" refilled too after 3 s (40 tokens at 20/s take 2 s); spend it again, then check.
        for _ in 0..<40 { _ = limiter.acquire(for: "hot", now: start + .seconds(3)) }
        #expect(limiter.acquire(for: "hot", now: start + .seconds(3)) != nil)
    }
}
