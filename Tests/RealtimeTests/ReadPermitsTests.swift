@testable import Realtime
import Synchronization
import Testing

/// Replay pages take permits: never more at once than there are, every one served, and a
/// waiter that is cancelled leaves without taking one.
@Suite struct ReadPermitsTests {
    /// How many bodies run now, and the most that ever ran at once.
    final class Concurrency: Sendable {
        let counts = Mutex((now: 0, most: 0))
        func enter() { counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
        func leave() { counts.withLock { $0.now -= 1 } }
        var most: Int { counts.withLock { $0.most } }
    }

    @Test func noMoreBodiesRunAtOnceThanThereArePermits() async throws {
        let permits = ReadPermits(count: 3)
        let running = Concurrency()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    try await permits.withPermit {
                        running.enter()
                        await Task.yield()
                        try await Task.sleep(for: .milliseconds(2))
                        running.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(running.most == 3)
        #expect(permits.available == 3)
    }

    @Test func aCancelledWaiterLeavesWithoutTakingAPermit() async throws {
        let permits = ReadPermits(count: 1)
        let (held, release) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Holds the only permit until told to let go.
            group.addTask { try await permits.withPermit { for await _ in held {} } }
            while permits.available > 0 { await Task.yield() }
            let waiter = Task { try await permits.withPermit { "ran" } }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            release.finish()
            try await group.waitForAll()
        }
        #expect(permits.available == 1)
        #expect(try await permits.withPermit { "after" } == "after")
    }
}
