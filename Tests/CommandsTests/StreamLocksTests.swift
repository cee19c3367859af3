@testable import Commands
import Synchronization
import Testing

/// One process's commands on a stream run one at a time, in arrival order; other streams do not wait.
@Suite struct StreamLocksTests {
    @Test func commandsOnOneStreamNeverOverlap() async throws {
        final class Inside: Sendable { let counts = Mutex((now: 0, most: 0, entered: 0)) }
        let locks = StreamLocks()
        let inside = Inside()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await locks.withLock("room-a") {
                        inside.counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now); $0.entered += 1 }
                        await Task.yield()
                        inside.counts.withLock { $0.now -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = inside.counts.withLock { $0 }
        #expect(counts.most == 1)
        #expect(counts.entered == 200)
    }

    @Test func anotherStreamDoesNotWaitForAHeldOne() async throws {
        let locks = StreamLocks()
        let (held, holding) = AsyncStream<Void>.makeStream()
        let (release, releasing) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await locks.withLock("room-a") {
                    holding.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            // room-a is held until we release it: room-b must run meanwhile.
            let ran = try await locks.withLock("room-b") { true }
            #expect(ran)
            releasing.yield()
            try await group.waitForAll()
        }
    }

    @Test func aFailingCommandReleasesTheStream() async throws {
        struct Refused: Error {}
        let locks = StreamLocks()
        await #expect(throws: Refused.self) { try await locks.withLock("room-a") { throw Refused() } }
        #expect(try await locks.withLock("room-a") { 1 } == 1)
    }
}
