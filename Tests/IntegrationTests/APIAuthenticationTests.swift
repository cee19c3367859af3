import API
import Domain
import Foundation
import HTTPTypes
import Testing

/// Authentication (contract §3): a missing, malformed, wrongly signed or expired token is 401
/// `unauthorized`; a bearer header or the `access_token` query parameter carries a good one; the
/// development token route exists only in development mode.
@Suite struct APIAuthenticationTests {
    /// `GET /v1/rooms` with exactly the given headers and no token of the helper's.
    static func rooms(_ server: TestServer, authorization: String?) async throws -> TestServer.Reply {
        var headers: HTTPFields = [:]
        if let authorization { headers[.authorization] = authorization }
        return try await server.request(.get, "/v1/rooms", headers: headers)
    }

    @Test func aRequestWithoutATokenIsUnauthorized() async throws {
        try await TestServer.run { server in
            expectProblem(try await Self.rooms(server, authorization: nil), .unauthorized, "unauthorized")
            let post = try await server.post("/v1/rooms", as: nil, json: #"{"room_id":"\#(TestServer.uniqueID("room"))"}"#)
            expectProblem(post, .unauthorized, "unauthorized")
        }
    }

    @Test func aMalformedTokenIsUnauthorized() async throws {
        try await TestServer.run { server in
            expectProblem(try await Self.rooms(server, authorization: "Bearer not-a-jwt"), .unauthorized, "unauthorized")
            expectProblem(try await Self.rooms(server, authorization: "Bearer a.b.c"), .unauthorized, "unauthorized")
        }
    }

    @Test func aTokenSignedWithAnotherSecretIsUnauthorized() async throws {
        try await TestServer.run { server in
            let other = await TokenService(secret: "another-secret-that-is-long-enough-0123456789")
            let token = try await other.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(3600))
            expectProblem(try await Self.rooms(server, authorization: "Bearer \(token)"), .unauthorized, "unauthorized")
        }
    }

    @Test func anExpiredTokenIsUnauthorized() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice", expiresIn: -10)
            expectProblem(try await Self.rooms(server, authorization: "Bearer \(token)"), .unauthorized, "unauthorized")
        }
    }

    @Test func aTokenThatWorkedIsRefusedOnceItExpires() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice", expiresIn: 2)
            #expect(try await Self.rooms(server, authorization: "Bearer \(token)").status == .ok)
            // The server remembers tokens it verified; it must still honour their expiry.
            try await Task.sleep(for: .seconds(3))
            expectProblem(try await Self.rooms(server, authorization: "Bearer \(token)"), .unauthorized, "unauthorized")
        }
    }

    @Test func aBasicAuthorizationHeaderIsUnauthorized() async throws {
        try await TestServer.run { server in
            let basic = "Basic " + Data("alice:password".utf8).base64EncodedString()
            expectProblem(try await Self.rooms(server, authorization: basic), .unauthorized, "unauthorized")
        }
    }

    @Test func aValidBearerTokenIsAccepted() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let reply = try await Self.rooms(server, authorization: "Bearer \(token)")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply["rooms"] != nil)
        }
    }

    @Test func theAccessTokenQueryParameterIsAnAlternativeToTheHeader() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let reply = try await server.request(.get, "/v1/rooms?access_token=\(token)")
            #expect(reply.status == .ok, "\(reply.text)")
            let expired = try await server.token("alice", expiresIn: -10)
            expectProblem(try await server.request(.get, "/v1/rooms?access_token=\(expired)"), .unauthorized, "unauthorized")
        }
    }

    @Test func theDevTokenRouteMintsATokenThatWorks() async throws {
        try await TestServer.run { server in
            let minted = try await server.post("/v1/auth/token", as: nil, json: #"{"user":"alice"}"#)
            #expect(minted.status == .ok, "\(minted.text)")
            let token = try #require(minted.string("token"))
            let expiresAt = try #require(minted.string("expires_at"))
            // RFC 3339 in UTC with milliseconds, like every other timestamp of the API.
            let expiry = try #require(
                try? Date(expiresAt, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
                "expires_at is not RFC 3339 with milliseconds: \(expiresAt)"
            )
            #expect(expiry > Date())
            let reply = try await Self.rooms(server, authorization: "Bearer \(token)")
            #expect(reply.status == .ok, "\(reply.text)")
        }
    }

    @Test func theDevTokenRouteGrantsTheStaffRoleWhenAsked() async throws {
        try await TestServer.run { server in
            let minted = try await server.post("/v1/auth/token", as: nil, json: #"{"user":"ops","roles":["staff"]}"#)
            let token = try #require(minted.string("token"), "\(minted.text)")
            let events = try await server.request(.get, "/v1/events", headers: [.authorization: "Bearer \(token)"])
            #expect(events.status == .ok, "\(events.text)")
        }
    }

    @Test func theDevTokenRouteRejectsAnInvalidUser() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/auth/token", as: nil, json: #"{"user":"bad id!"}"#)
            expectValidation(reply, field: "user")
        }
    }

    @Test func theDevTokenRouteDoesNotExistOutsideDevelopmentMode() async throws {
        try await TestServer.run(configure: { $0.developmentMode = false }) { server in
            let reply = try await server.post("/v1/auth/token", as: nil, json: #"{"user":"alice"}"#)
            expectProblem(reply, .notFound, "not_found")
            // Tokens signed with the configured secret still work.
            #expect(try await server.get("/v1/rooms", as: "alice").status == .ok)
        }
    }
}
