import Domain
import Foundation
import HTTPTypes
import Testing

/// Inputs and timings a careful client may still produce: concurrent retries, unusual
/// characters, membership that ends. The contract's promises hold for them too.
@Suite struct APIEdgeCaseTests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    @Test func concurrentRetriesWithTheSameKeyAppendOnce() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let key = TestServer.uniqueID("key")
            let replies = try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
                for _ in 1...5 {
                    group.addTask {
                        try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"once"}"#, headers: [Self.idempotencyKey: key])
                    }
                }
                return try await group.reduce(into: [TestServer.Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created }, "\(replies.map(\.text))")
            #expect(Set(replies.compactMap { $0.string("event_id") }).count == 1, "\(replies.map(\.text))")
            let eventID = replies.compactMap { $0.string("event_id") }.first
            #expect(try await server.events(ofType: "chat.message_posted", through: eventID).count == 1)
        }
    }

    @Test func concurrentPostsWithTheSameClientMessageIDAppendOnce() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let replies = try await withThrowingTaskGroup(of: TestServer.Reply.self) { group in
                for n in 1...5 {
                    group.addTask { try await server.postMessage("attempt \(n)", in: room, by: "alice", clientMsgID: "c-race") }
                }
                return try await group.reduce(into: [TestServer.Reply]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == .created }, "\(replies.map(\.text))")
            #expect(Set(replies.compactMap { $0.string("message_id") }).count == 1, "\(replies.map(\.text))")
            let eventID = replies.compactMap { $0.string("event_id") }.first
            #expect(try await server.events(ofType: "chat.message_posted", through: eventID).count == 1)
        }
    }

    @Test func aNULCharacterInMessageTextIsNeverAServerError() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"a\u0000b"}"#)
            // Accepting it (and reading it back unchanged) or refusing it with a 422 both keep the
            // contract; a 5xx does not.
            if reply.status == .created {
                let eventID = try #require(reply.string("event_id"))
                let page = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: "alice")
                #expect(page.array("messages").first?[member: "text"]?.asString == "a\u{0}b")
            } else {
                expectValidation(reply, field: "text")
            }
        }
    }

    @Test func aNULCharacterInARoomNameIsNeverAServerError() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post("/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)","name":"x\u0000y"}"#)
            if reply.status != .created {
                expectValidation(reply, field: "name")
            }
        }
    }

    @Test func aNULCharacterInARoomCursorIsNeverAServerError() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/v1/rooms?after=a%00b", as: "alice")
            // `after` is a room id: answering the page after it, or refusing it with a 422, keeps
            // the contract; a 5xx does not.
            if reply.status != .ok {
                expectValidation(reply, field: "after")
            }
        }
    }

    @Test func aMemberWhoLeftAPrivateRoomCanNoLongerReadOrPost() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            #expect(try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#).status == .ok)
            let left = try await server.post("/v1/rooms/\(room)/leave", as: "bob")
            #expect(left.status == .ok, "\(left.text)")
            let eventID = try #require(left.string("event_id"))
            expectProblem(try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: "bob"), .forbidden, "forbidden")
            expectProblem(try await server.postMessage("still here?", in: room, by: "bob"), .forbidden, "forbidden")
            expectProblem(try await server.post("/v1/rooms/\(room)/join", as: "bob"), .forbidden, "forbidden")
            let rooms = try await server.read("/v1/rooms?min_event_id=\(eventID)", as: "bob")
            #expect(!rooms.array("rooms").contains { $0[member: "room_id"]?.asString == room })
        }
    }

    @Test func postingOrTypingInAnUnknownRoomIsNotFound() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("nowhere")
            expectProblem(try await server.postMessage("hello?", in: room, by: "alice"), .notFound, "not_found")
            expectProblem(try await server.post("/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"started"}"#), .notFound, "not_found")
            expectProblem(try await server.post("/v1/rooms/\(room)/leave", as: "alice"), .notFound, "not_found")
            expectProblem(try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#), .notFound, "not_found")
        }
    }
}
