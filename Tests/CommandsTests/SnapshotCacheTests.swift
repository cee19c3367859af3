@testable import Commands
import Domain
import Testing

@Suite struct SnapshotCacheTests {
    @Test func keepsTheVersionAndStateOfEachStream() {
        let cache = SnapshotCache(capacity: 10)
        cache.store("room-a", version: 3, state: Optional("three"))
        let cached = cache.get("room-a", as: String.self)
        #expect(cached?.version == 3)
        #expect(cached?.state == "three")
        #expect(cache.get("room-b", as: String.self) == nil)
    }

    @Test func aStateOfAnotherTypeIsAMiss() {
        let cache = SnapshotCache(capacity: 10)
        cache.store("room-a", version: 1, state: Optional(42))
        #expect(cache.get("room-a", as: String.self) == nil)
    }

    @Test func dropsTheLeastRecentlyUsedWhenFull() {
        let cache = SnapshotCache(capacity: 8)
        for n in 0..<8 { cache.store("s-\(n)", version: 1, state: Optional(n)) }
        _ = cache.get("s-0", as: Int.self)   // s-0 is now the most recently used
        cache.store("s-8", version: 1, state: Optional(8))
        #expect(cache.count <= 8)
        #expect(cache.get("s-0", as: Int.self) != nil)
        #expect(cache.get("s-8", as: Int.self) != nil)
        #expect(cache.get("s-1", as: Int.self) == nil, "the oldest went first")
    }

    @Test func removeForgetsAStream() {
        let cache = SnapshotCache(capacity: 4)
        cache.store("room-a", version: 2, state: Optional("x"))
        cache.remove("room-a")
        #expect(cache.get("room-a", as: String.self) == nil)
    }
}

/// What a decision to append becomes: a chat message leaves the room's snapshot alone.
@Suite struct PendingAppendTests {
    let metadata = CommandMetadata(actor: "alice", commandID: "c-1")

    @Test func aMessageKeepsTheStoredSnapshot() throws {
        let room = RoomState(roomId: "general", name: "General", visibility: .public, createdBy: "alice", members: ["alice": 2])
        let message = DomainEvent.messagePosted(MessagePosted(roomId: "general", messageId: "m-1", author: "alice", text: "hi", clientMsgId: "c-1"))
        let append = try PendingAppend([message], after: room, atVersion: 2, metadata: metadata) { Room.evolve($0, $1, version: $2) }
        #expect(append.snapshot == nil)
        #expect(append.newState == room)
        #expect(append.newEvents.map(\.type) == ["chat.message_posted"])
    }

    @Test func aJoinWritesTheNewSnapshotWithTheJoinsVersion() throws {
        let room = RoomState(roomId: "general", name: "General", visibility: .public, createdBy: "alice", members: ["alice": 2])
        let join = DomainEvent.memberJoined(MemberJoined(roomId: "general", user: "bob", addedBy: "bob"))
        let append = try PendingAppend([join], after: room, atVersion: 7, metadata: metadata) { Room.evolve($0, $1, version: $2) }
        #expect(append.newState?.members["bob"] == 8)
        #expect(append.snapshot?.contains(#""bob":8"#) == true)
    }
}
