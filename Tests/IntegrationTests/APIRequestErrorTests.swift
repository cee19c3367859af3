import Domain
import Foundation
import HTTPTypes
import Testing

/// Requests that fail before any field is looked at: the body's syntax, shape, media type and
/// size, and the `Idempotency-Key` header. Each is a problem+json 4xx, and nothing is appended.
@Suite struct APIRequestErrorTests {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// A refused creation appended nothing: the room can still be created, and is the only one.
    static func expectStillFree(_ room: String, _ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let created = try await server.createRoom(room, by: "alice")
        #expect(created.status == .created, "\(created.text)", sourceLocation: sourceLocation)
        let rooms = try await server.events(ofType: "chat.room_created", through: created.string("event_id"))
        #expect(rooms.count == 1, sourceLocation: sourceLocation)
    }

    @Test func aBodyThatIsNotJSONIsMalformed() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/rooms", as: "alice", json: #"{"room_id": "general""#)
            expectProblem(reply, .badRequest, "malformed_request")
        }
    }

    @Test func aBodyThatIsAJSONArrayIsAValidationFailure() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post("/v1/rooms", as: "alice", json: #"[{"room_id":"\#(room)"}]"#)
            expectProblem(reply, .unprocessableContent, "validation_failed")
            #expect(!reply.array("errors").isEmpty, "\(reply.text)")
        }
    }

    @Test func aTextPlainBodyIsAnUnsupportedMediaType() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post(
                "/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)"}"#, headers: [.contentType: "text/plain"]
            )
            expectProblem(reply, .unsupportedMediaType, "unsupported_media_type")
            try await Self.expectStillFree(room, server)
        }
    }

    @Test func aJSONMediaTypeWithACharsetIsAccepted() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post(
                "/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)"}"#, headers: [.contentType: "application/json; charset=utf-8"]
            )
            #expect(reply.status == .created, "\(reply.text)")
        }
    }

    @Test func aBodyOver64KiBIsTooLarge() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let text = String(repeating: "a", count: 64 * 1024)
            let reply = try await server.post("/v1/rooms/\(room)/messages", as: "alice", json: #"{"text":"\#(text)"}"#)
            expectProblem(reply, .contentTooLarge, "payload_too_large")
            let small = try await server.postMessage("small", in: room, by: "alice")
            let texts = try await server.events(ofType: "chat.message_posted", through: small.string("event_id"))
                .map { $0[member: "data"]?[member: "text"]?.asString }
            #expect(texts == ["small"])
        }
    }

    @Test func anIdempotencyKeyOf129CharactersIsMalformed() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post(
                "/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)"}"#,
                headers: [Self.idempotencyKey: String(repeating: "k", count: 129)]
            )
            expectProblem(reply, .badRequest, "malformed_request")
            try await Self.expectStillFree(room, server)
        }
    }

    @Test func anIdempotencyKeyOf128CharactersIsAccepted() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post(
                "/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)"}"#,
                headers: [Self.idempotencyKey: String(repeating: "k", count: 128)]
            )
            #expect(reply.status == .created, "\(reply.text)")
        }
    }

    @Test func aBadIdempotencyKeyIsMalformedOnTypingToo() async throws {
        // "Every POST accepts an Idempotency-Key header (1–128 printable ASCII characters, else 400)."
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post(
                "/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"started"}"#,
                headers: [Self.idempotencyKey: String(repeating: "k", count: 129)]
            )
            expectProblem(reply, .badRequest, "malformed_request")
        }
    }

    @Test func aBadIdempotencyKeyIsMalformedOnTheDevTokenRouteToo() async throws {
        try await TestServer.run { server in
            let reply = try await server.post(
                "/v1/auth/token", as: nil, json: #"{"user":"alice"}"#, headers: [Self.idempotencyKey: String(repeating: "k", count: 129)]
            )
            expectProblem(reply, .badRequest, "malformed_request")
        }
    }

    @Test func aNonASCIIIdempotencyKeyIsMalformed() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let reply = try await server.post(
                "/v1/rooms", as: "alice", json: #"{"room_id":"\#(room)"}"#, headers: [Self.idempotencyKey: "clé-ünïcode"]
            )
            expectProblem(reply, .badRequest, "malformed_request")
            try await Self.expectStillFree(room, server)
        }
    }
}
