import API
import Domain
import Foundation
import HTTPTypes
import Testing

/// The per-user command limit (contract §7): every POST takes a token; beyond the burst a POST
/// is 429 `rate_limited` with `Retry-After`; other users and GETs are unaffected.
///
/// The refill rate is far below the pace of the test (one command per 10 s) so that a slow
/// machine cannot refill a token between the requests and make the outcome depend on timing.
@Suite struct APIRateLimitTests {
    static func limited(_ configuration: inout AppConfiguration) {
        configuration.commandRate = 0.1
        configuration.commandBurst = 3
    }

    /// Uses up alice's burst of three commands.
    static func exhaustBurst(_ server: TestServer) async throws {
        for _ in 1...3 {
            let reply = try await server.createRoom(TestServer.uniqueID("room"), by: "alice")
            #expect(reply.status == .created, "\(reply.text)")
        }
    }

    @Test func theFourthCommandInARowIsRateLimitedWithRetryAfter() async throws {
        try await TestServer.run(configure: Self.limited) { server in
            try await Self.exhaustBurst(server)
            let room = TestServer.uniqueID("room")
            let reply = try await server.createRoom(room, by: "alice")
            expectProblem(reply, .tooManyRequests, "rate_limited")
            let retryAfter = try #require(reply.headers[.retryAfter], "429 must carry Retry-After")
            let seconds = try #require(Int(retryAfter), "Retry-After is not an integer: \(retryAfter)")
            #expect(seconds > 0)
            // The refused command appended nothing: alice's three rooms and, later, bob's.
            let bobs = try await server.createRoom(TestServer.uniqueID("room"), by: "bob")
            let creators = try await server.events(ofType: "chat.room_created", through: bobs.string("event_id"))
                .map { $0[member: "data"]?[member: "created_by"]?.asString }
            #expect(creators == ["alice", "alice", "alice", "bob"])
        }
    }

    @Test func typingSignalsCountAsCommands() async throws {
        try await TestServer.run(configure: Self.limited) { server in
            let room = TestServer.uniqueID("room")
            #expect(try await server.createRoom(room, by: "alice").status == .created)
            for _ in 1...2 {
                #expect(try await server.post("/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"started"}"#).status == .noContent)
            }
            let reply = try await server.post("/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"stopped"}"#)
            expectProblem(reply, .tooManyRequests, "rate_limited")
        }
    }

    @Test func anotherUserIsNotAffectedByTheLimit() async throws {
        try await TestServer.run(configure: Self.limited) { server in
            try await Self.exhaustBurst(server)
            expectProblem(try await server.createRoom(TestServer.uniqueID("room"), by: "alice"), .tooManyRequests, "rate_limited")
            let bobs = try await server.createRoom(TestServer.uniqueID("room"), by: "bob")
            #expect(bobs.status == .created, "\(bobs.text)")
        }
    }

    @Test func readsAreNotLimited() async throws {
        try await TestServer.run(configure: Self.limited) { server in
            try await Self.exhaustBurst(server)
            for _ in 1...10 {
                let reply = try await server.get("/v1/rooms", as: "alice")
                #expect(reply.status == .ok, "\(reply.text)")
            }
            expectProblem(try await server.createRoom(TestServer.uniqueID("room"), by: "alice"), .tooManyRequests, "rate_limited")
        }
    }
}
