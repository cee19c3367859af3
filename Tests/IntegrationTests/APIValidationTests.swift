import Domain
import Foundation
import HTTPTypes
import Testing

/// Field validation of the chat, notification and query inputs: 422 `validation_failed` with an
/// `errors` entry naming the field, never a 5xx.
@Suite struct APIValidationTests {
    // MARK: Rooms

    @Test func createRoomWithoutRoomIDIsRejected() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/rooms", as: "alice", json: #"{"name":"No id"}"#)
            expectValidation(reply, field: "room_id")
        }
    }

    @Test func createRoomWithAnInvalidRoomIDIsRejected() async throws {
        try await TestServer.run { server in
            for roomID in ["bad id!", "_leading-underscore", String(repeating: "r", count: 65)] {
                let reply = try await server.post("/v1/rooms", as: "alice", json: #"{"room_id":"\#(roomID)"}"#)
                expectValidation(reply, field: "room_id")
            }
        }
    }

    @Test func createRoomWithAnUnknownVisibilityIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post("/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)","visibility":"secret"}"#)
            expectValidation(reply, field: "visibility")
            // Nothing was created: the id is still free.
            #expect(try await server.createRoom(room, by: "alice").status == .created)
        }
    }

    // MARK: Messages

    @Test func emptyMessageTextIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":""}"#)
            expectValidation(reply, field: "text")
        }
    }

    @Test func whiteSpaceOnlyMessageTextIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"  \n\t  "}"#)
            expectValidation(reply, field: "text")
        }
    }

    @Test func missingMessageTextIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"client_msg_id":"c-1"}"#)
            expectValidation(reply, field: "text")
        }
    }

    @Test func messageTextOf4001CharactersIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let text = String(repeating: "a", count: 4001)
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"\#(text)"}"#)
            expectValidation(reply, field: "text")
        }
    }

    @Test func messageTextOf4000GraphemeClustersIsAccepted() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            // 4000 characters as Swift counts them, but 8000 scalars and 32000 UTF-8 bytes:
            // a thumbs-up with a skin-tone modifier is one grapheme cluster (no ZWJ involved).
            let text = String(repeating: "👍🏽", count: 4000)
            #expect(text.count == 4000)
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"  \#(text)  "}"#)
            #expect(reply.status == .created, "\(reply.text)")
            let eventID = try #require(reply.string("event_id"))
            let page = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: "alice")
            #expect(page.array("messages").first?[member: "text"]?.asString == text)
        }
    }

    @Test func clientMessageIDLongerThan128CharactersIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let id = String(repeating: "c", count: 129)
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"hi","client_msg_id":"\#(id)"}"#)
            expectValidation(reply, field: "client_msg_id")
        }
    }

    // MARK: Typing, members, notifications

    @Test func typingWithAnUnknownStateIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"typing"}"#)
            expectValidation(reply, field: "state")
        }
    }

    @Test func addingAMemberWithoutAUserIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let reply = try await server.post("/v1/rooms/\(room)/members", as: "alice", json: "{}")
            expectValidation(reply, field: "user")
        }
    }

    @Test func notificationWithAnInvalidUserIDIsRejected() async throws {
        try await TestServer.run { server in
            let reply = try await server.post(
                "/v1/notifications", as: "ops", staff: true,
                json: #"{"user_id":"not a user!","kind":"announcement","content":"hello"}"#
            )
            expectValidation(reply, field: "user_id")
        }
    }

    // MARK: Query parameters

    @Test func messagesLimitOfZeroIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            expectValidation(try await server.get("/v1/rooms/\(room)/messages?limit=0", as: "alice"), field: "limit")
        }
    }

    @Test func messagesLimitOf201IsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            expectValidation(try await server.get("/v1/rooms/\(room)/messages?limit=201", as: "alice"), field: "limit")
            #expect(try await server.get("/v1/rooms/\(room)/messages?limit=200", as: "alice").status == .ok)
        }
    }

    @Test func messagesLimitThatIsNotANumberIsRejected() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            expectValidation(try await server.get("/v1/rooms/\(room)/messages?limit=abc", as: "alice"), field: "limit")
        }
    }

    @Test func roomsLimitOf501IsRejected() async throws {
        try await TestServer.run { server in
            expectValidation(try await server.get("/v1/rooms?limit=501", as: "alice"), field: "limit")
            #expect(try await server.get("/v1/rooms?limit=500", as: "alice").status == .ok)
        }
    }

    @Test func eventsLimitOfZeroIsRejected() async throws {
        try await TestServer.run { server in
            expectValidation(try await server.get("/v1/events?limit=0", as: "ops", staff: true), field: "limit")
        }
    }
}
