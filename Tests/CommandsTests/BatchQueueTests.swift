@testable import Commands
import Testing

/// Which waiting commands form the next batch: arrival order within the bounds, each stream and
/// each idempotency scope once, and a command larger than the byte bound alone.
@Suite struct BatchQueueTests {
    struct Entry: BatchQueueEntry, Equatable {
        var name: String
        var stream: String
        var scopeKeys: [String] = []
        var byteCount: Int = 10
    }

    func queue(_ entries: [Entry], commands: Int = 64, bytes: Int = 1 << 20) -> BatchQueue<Entry> {
        var queue = BatchQueue<Entry>(limits: .init(maximumCommands: commands, maximumBytes: bytes, maximumInFlight: 1))
        let started = queue.startIfFree()
        #expect(started)
        for entry in entries { queue.enqueue(entry) }
        return queue
    }

    @Test func aLoneCommandGoesAtOnceAndOthersWaitOnlyWhileTheLimitOfBatchesIsInFlight() {
        var queue = BatchQueue<Entry>(limits: .init(maximumInFlight: 2))
        let first = queue.startIfFree(), second = queue.startIfFree(), third = queue.startIfFree()
        #expect(first && second && !third)
        queue.enqueue(Entry(name: "b", stream: "s2"))
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["b"])
        #expect(queue.inFlight == 2)
        #expect(queue.finishAndTakeNext() == nil)
        #expect(queue.finishAndTakeNext() == nil)
        #expect(queue.inFlight == 0)
        let again = queue.startIfFree()
        #expect(again)
    }

    @Test func everythingThatArrivedDuringABatchGoesInTheNextInArrivalOrder() {
        var queue = queue((1...5).map { Entry(name: "c\($0)", stream: "s\($0)") })
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["c1", "c2", "c3", "c4", "c5"])
        #expect(queue.waiting.isEmpty)
    }

    @Test func theCountBoundSplitsAQueueIntoBatches() {
        var queue = queue((1...5).map { Entry(name: "c\($0)", stream: "s\($0)") }, commands: 2)
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["c1", "c2"])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["c3", "c4"])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["c5"])
        #expect(queue.finishAndTakeNext() == nil)
    }

    @Test func theByteBoundSplitsToo_andALargerCommandGoesAlone() {
        var queue = queue([
            Entry(name: "a", stream: "s1", byteCount: 60),
            Entry(name: "b", stream: "s2", byteCount: 50),
            Entry(name: "huge", stream: "s3", byteCount: 500),
            Entry(name: "c", stream: "s4", byteCount: 30),
        ], bytes: 100)
        // b does not fit beside a; c does (90 bytes); huge waits for a batch of its own.
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["a", "c"])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["b"])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["huge"])
    }

    @Test func aStreamOrAScopeTheBatchHoldsWaitsForTheNextAndStaysFirstInLine() {
        var queue = queue([
            Entry(name: "a1", stream: "room-a"),
            Entry(name: "a2", stream: "room-a"),
            Entry(name: "k1", stream: "room-b", scopeKeys: ["ann key:1"]),
            Entry(name: "k2", stream: "room-c", scopeKeys: ["ann key:1"]),
            Entry(name: "other", stream: "room-d", scopeKeys: ["bob key:1"]),
        ])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["a1", "k1", "other"])
        #expect(queue.waiting.map(\.name) == ["a2", "k2"])
        #expect(queue.finishAndTakeNext()?.map(\.name) == ["a2", "k2"])
    }
}
