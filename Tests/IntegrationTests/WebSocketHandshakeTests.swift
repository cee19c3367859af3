import API
import Domain
import Foundation
import HTTPTypes
import HummingbirdWSTesting
import NIOCore
import Testing
import WSClient

/// The WebSocket handshake as a client meets it (contract sections 3, 6): the subprotocol, and
/// every refusal answered like the rest of the API, with a status and a problem+json body,
/// before any upgrade. Every wait sits inside ``withHangGuard(_:)``.
@Suite struct WebSocketHandshakeTests {
    // MARK: Subprotocol

    @Test func aClientOfferingTidelineV1GetsItAndAWorkingConnection() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let handshake = try await withHangGuard {
                try await upgradeHandshake(
                    port: server.client.port!, path: "/v1/ws?access_token=\(token)",
                    offering: [.secWebSocketProtocol: "chat.v9, tideline.v1"]
                )
            }
            #expect(handshake.status == 101, "\(handshake)")
            #expect(handshake.headers["sec-websocket-protocol"] == "tideline.v1", "\(handshake)")

            let configuration = WebSocketClientConfiguration(additionalHeaders: [.secWebSocketProtocol: "tideline.v1"])
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                    #expect(try await frames.until { $0.frameType == "pong" }.last?[member: "ref"]?.asString == "p")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    /// A refused handshake answers like the rest of the API (contract §3, §6): 401 with a
    /// problem+json body for a missing, malformed, wrongly signed or expired token, before any
    /// upgrade (HummingbirdWebSocket alone answered a bare 400).
    @Test(arguments: ["missing", "malformed", "wrongly signed", "expired"])
    func aHandshakeWithABadTokenIsA401Problem(token kind: String) async throws {
        try await TestServer.run { server in
            let token: String? = switch kind {
            case "missing": nil
            case "malformed": "not-a-jwt"
            case "wrongly signed":
                try await TokenService(secret: String(repeating: "x", count: 40))
                    .sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(3600))
            default: try await server.token("alice", expiresIn: -60)
            }
            let path = token.map { "/v1/ws?access_token=\($0)" } ?? "/v1/ws"
            let handshake = try await withHangGuard {
                try await upgradeHandshake(port: server.client.port!, path: path, offering: [:])
            }
            #expect(handshake.status == 401, "\(handshake)")
            #expect(handshake.headers["content-type"]?.hasPrefix("application/problem+json") == true, "\(handshake)")
            #expect(handshake.json?[member: "code"]?.asString == "unauthorized", "\(handshake)")
            #expect(handshake.json?[member: "status"] == .int(401), "\(handshake)")
        }
    }

    /// `min_event_id` holds a handshake as it holds any GET (contract §3): an event the read
    /// model shows lets the upgrade through, one it never reaches is a 503 problem, and a value
    /// that is no event id a 422, all before any upgrade.
    @Test func aHandshakeWaitsForMinEventIDLikeAnyGet() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let posted = try await server.postMessage("hi", in: room, by: "alice")
            let eventID = try #require(posted.string("event_id"))
            let shown = try await withHangGuard {
                try await upgradeHandshake(port: server.client.port!, path: "/v1/ws?access_token=\(token)&min_event_id=\(eventID)", offering: [:])
            }
            #expect(shown.status == 101, "\(shown)")
            let future = try await withHangGuard {
                try await upgradeHandshake(port: server.client.port!, path: "/v1/ws?access_token=\(token)&min_event_id=999999999", offering: [:])
            }
            #expect(future.status == 503, "\(future)")
            #expect(future.json?[member: "code"]?.asString == "unavailable", "\(future)")
            let bad = try await withHangGuard {
                try await upgradeHandshake(port: server.client.port!, path: "/v1/ws?access_token=\(token)&min_event_id=soon", offering: [:])
            }
            #expect(bad.status == 422, "\(bad)")
        }
    }

    @Test func aClientOfferingOnlyUnknownSubprotocolsIsRefused() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let handshake = try await withHangGuard {
                try await upgradeHandshake(
                    port: server.client.port!, path: "/v1/ws?access_token=\(token)", offering: [.secWebSocketProtocol: "chat.v9"]
                )
            }
            #expect(handshake.status == 400, "\(handshake)")
            #expect(handshake.headers["content-type"]?.hasPrefix("application/problem+json") == true, "\(handshake)")
            #expect(handshake.json?[member: "detail"]?.asString?.contains("tideline.v1") == true, "\(handshake)")

            let configuration = WebSocketClientConfiguration(additionalHeaders: [.secWebSocketProtocol: "chat.v9"])
            await #expect(throws: (any Error).self) {
                try await withHangGuard {
                    try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { _, _, _ in
                        Issue.record("the handshake must not succeed")
                    }
                }
            }
        }
    }
}
