import Commands
import Domain
import EventStore
import Foundation
import HTTPTypes
import PostgresNIO
import Testing

/// Retries (contract §4): the same `Idempotency-Key` from the same caller returns the first
/// response and appends nothing; a reused key for another command is 409; a repeated
/// `client_msg_id` from the same author returns the first post.
@Suite struct APIIdempotencyTests {
    static func key(_ value: String) -> HTTPFields { [HTTPField.Name("Idempotency-Key")!: value] }

    /// The messages of `room` as its member `user` reads them once the read model has `eventID`.
    static func messages(_ server: TestServer, in room: String, as user: String, after eventID: String) async throws -> [JSONValue] {
        let reply = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: user)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.array("messages")
    }

    @Test func aRepeatedPostWithTheSameKeyReturnsTheFirstResponseAndAppendsNothing() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let key = TestServer.uniqueID("key")
            let path = "/v1/rooms/\(room)/messages"
            let first = try await server.post(path, as: "alice", json: #"{"text":"once"}"#, headers: Self.key(key))
            let second = try await server.post(path, as: "alice", json: #"{"text":"once"}"#, headers: Self.key(key))
            #expect(first.status == .created, "\(first.text)")
            #expect(second.status == first.status)
            #expect(second.json == first.json)
            let eventID = try #require(first.string("event_id"))
            #expect(try await server.events(ofType: "chat.message_posted", through: eventID).count == 1)
            #expect(try await Self.messages(server, in: room, as: "alice", after: eventID).count == 1)
        }
    }

    @Test func aRetriedRoomCreationWithTheSameKeyIsNotAConflict() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let key = TestServer.uniqueID("key")
            let body = #"{"room_id":"\#(room)","name":"Retry"}"#
            let first = try await server.post("/v1/rooms", as: "alice", json: body, headers: Self.key(key))
            let second = try await server.post("/v1/rooms", as: "alice", json: body, headers: Self.key(key))
            #expect(first.status == .created, "\(first.text)")
            #expect(second.status == .created, "\(second.text)")
            #expect(second.json == first.json)
            #expect(try await server.events(ofType: "chat.room_created", through: first.string("event_id")).count == 1)
        }
    }

    @Test func theSameKeyWithADifferentBodyIsAConflict() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let key = TestServer.uniqueID("key")
            let path = "/v1/rooms/\(room)/messages"
            let first = try await server.post(path, as: "alice", json: #"{"text":"first"}"#, headers: Self.key(key))
            #expect(first.status == .created)
            let reply = try await server.post(path, as: "alice", json: #"{"text":"second"}"#, headers: Self.key(key))
            expectProblem(reply, .conflict, "conflict")
            let later = try await server.postMessage("later, without a key", in: room, by: "alice")
            let texts = try await server.events(ofType: "chat.message_posted", through: later.string("event_id"))
                .map { $0[member: "data"]?[member: "text"]?.asString }
            #expect(texts == ["first", "later, without a key"])
        }
    }

    @Test func theSameKeyForADifferentCommandIsAConflict() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let key = TestServer.uniqueID("key")
            #expect(try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"hi"}"#, headers: Self.key(key)).status == .created)
            let otherRoom = TestServer.uniqueID("room")
            let other = try await server.post("/v1/rooms", as: "alice", json: #"{"room_id":"\#(otherRoom)"}"#, headers: Self.key(key))
            expectProblem(other, .conflict, "conflict")
            // Without the key the same creation goes through: the room had not been created.
            let retried = try await server.createRoom(otherRoom, by: "alice")
            #expect(retried.status == .created, "\(retried.text)")
            #expect(try await server.events(ofType: "chat.room_created", through: retried.string("event_id")).count == 2)
        }
    }

    @Test func theSameKeyFromAnotherUserIsIndependent() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            #expect(try await server.post("/v1/rooms/\(room)/join", as: "bob").status == .ok)
            let key = TestServer.uniqueID("key")
            let path = "/v1/rooms/\(room)/messages"
            let alices = try await server.post(path, as: "alice", json: #"{"text":"same"}"#, headers: Self.key(key))
            let bobs = try await server.post(path, as: "bob", json: #"{"text":"same"}"#, headers: Self.key(key))
            #expect(alices.status == .created, "\(alices.text)")
            #expect(bobs.status == .created, "\(bobs.text)")
            #expect(bobs.string("message_id") != alices.string("message_id"))
            #expect(bobs.string("event_id") != alices.string("event_id"))
            let last = try #require([alices, bobs].compactMap { $0.string("event_id") }.max { Int64($0)! < Int64($1)! })
            let authors = try await Self.messages(server, in: room, as: "alice", after: last).compactMap { $0[member: "author"]?.asString }
            #expect(authors.sorted() == ["alice", "bob"])
        }
    }

    @Test func aRepeatedClientMessageIDFromTheSameAuthorReturnsTheFirstPost() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let first = try await server.postMessage("original", in: room, by: "alice", clientMsgID: "c-1")
            let again = try await server.postMessage("edited retry", in: room, by: "alice", clientMsgID: "c-1")
            #expect(first.status == .created, "\(first.text)")
            #expect(again.status == .created, "\(again.text)")
            #expect(again.string("message_id") == first.string("message_id"))
            #expect(again.string("event_id") == first.string("event_id"))
            let eventID = try #require(first.string("event_id"))
            let texts = try await Self.messages(server, in: room, as: "alice", after: eventID).compactMap { $0[member: "text"]?.asString }
            #expect(texts == ["original"])
            #expect(try await server.events(ofType: "chat.message_posted", through: eventID).count == 1)
        }
    }

    @Test func theSameClientMessageIDFromAnotherAuthorIsANewMessage() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            #expect(try await server.post("/v1/rooms/\(room)/join", as: "bob").status == .ok)
            let alices = try await server.postMessage("from alice", in: room, by: "alice", clientMsgID: "c-1")
            let bobs = try await server.postMessage("from bob", in: room, by: "bob", clientMsgID: "c-1")
            #expect(alices.status == .created, "\(alices.text)")
            #expect(bobs.status == .created, "\(bobs.text)")
            #expect(bobs.string("message_id") != alices.string("message_id"))
            let eventID = try #require(bobs.string("event_id"))
            let texts = try await Self.messages(server, in: room, as: "alice", after: eventID).compactMap { $0[member: "text"]?.asString }
            #expect(texts == ["from alice", "from bob"])
        }
    }

    /// Replies kept for an `Idempotency-Key` are deleted once their 24 hours are over; replies
    /// kept for a `client_msg_id` are kept for good, so a retried message stays a no-op.
    @Test func expiredKeyRepliesArePurgedAndClientMessageRepliesKept() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let path = "/v1/rooms/\(room)/messages"
            for n in 0..<3 {
                let reply = try await server.post(path, as: "alice", json: #"{"text":"keyed \#(n)"}"#, headers: Self.key(TestServer.uniqueID("key")))
                #expect(reply.status == .created, "\(reply.text)")
            }
            #expect(try await server.postMessage("once", in: room, by: "alice", clientMsgID: "m-1").status == .created)
            let keyed: PostgresQuery = "SELECT count(*) FROM command_responses WHERE scope LIKE 'key:%'"
            #expect(try await TestDatabase.scalar(keyed, on: server.database) == 3)
            // Two of the three are a day old.
            _ = try await TestDatabase.scalar("""
                WITH aged AS (
                    UPDATE command_responses SET expires_at = now() - interval '1 second'
                    WHERE ctid IN (SELECT ctid FROM command_responses WHERE scope LIKE 'key:%' LIMIT 2) RETURNING 1
                ) SELECT count(*) FROM aged
                """, on: server.database)
            let purged = try await TestDatabase.withClient(server.database) { client in
                try await ExpiredRepliesPurger(client: DatabasePool(client), batchSize: 1, logger: TestDatabase.logger).purgeExpired()
            }
            #expect(purged == 2)
            #expect(try await TestDatabase.scalar(keyed, on: server.database) == 1)
            let repeated = try await server.postMessage("once", in: room, by: "alice", clientMsgID: "m-1")
            #expect(repeated.status == .created)
            #expect(try await server.events(ofType: "chat.message_posted", through: repeated.string("event_id")).count == 4)
        }
    }
}
