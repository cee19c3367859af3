import Foundation
import HTTPTypes
import NIOCore
import Testing

/// Caps on open live streams (WebSockets and SSE together), per user and in total: a stream
/// beyond a cap is refused with a 429 problem and `Retry-After` before any upgrade, others are
/// not affected, and a closed stream gives its slot back.
@Suite struct StreamCapTests {
    /// Opens a WebSocket on a raw connection and runs `body` with the handshake's status while
    /// the connection stays open; hangs up after.
    static func whileWebSocketOpen<T: Sendable>(port: Int, token: String, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        try await ConnectionTimeoutTests.withRawConnection(port: port) { outbound, inbound in
            var request = "GET /v1/ws?access_token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            request += "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var received = ""
            var iterator = inbound.makeAsyncIterator()
            while !received.contains("\r\n\r\n"), let chunk = try await iterator.next() { received += String(buffer: chunk) }
            return try await body(Int(received.split(separator: " ").dropFirst().first ?? "") ?? 0)
        }
    }

    static func expectRefused(_ handshake: HandshakeResponse) {
        #expect(handshake.status == 429, "\(handshake)")
        #expect(handshake.headers["retry-after"] != nil, "\(handshake)")
        #expect(handshake.json?[member: "code"]?.asString == "rate_limited", "\(handshake)")
    }

    @Test func aUsersStreamsBeyondTheCapAreRefusedWith429() async throws {
        try await TestServer.run(configure: { $0.maxStreamsPerUser = 2 }) { server in
            let port = server.client.port!
            let alice = try await server.token("alice"), bob = try await server.token("bob")
            try await withHangGuard {
                try await Self.whileWebSocketOpen(port: port, token: alice) { first in
                    #expect(first == 101)
                    try await Self.whileWebSocketOpen(port: port, token: alice) { second in
                        #expect(second == 101)
                        Self.expectRefused(try await upgradeHandshake(port: port, path: "/v1/ws?access_token=\(alice)", offering: [:]))
                        let sse = try await SSEClient.open(port: port, path: "/v1/stream?topics=notifications", token: alice)
                        #expect(sse.status == .tooManyRequests)
                        #expect(sse.headers.first(name: "retry-after") != nil)
                        // Another user is not affected.
                        try await Self.whileWebSocketOpen(port: port, token: bob) { #expect($0 == 101) }
                    }
                }
            }
            // Both of alice's streams are closed: her slots come back once the server has seen it.
            try await eventually("alice's slots to come back") {
                try await Self.whileWebSocketOpen(port: port, token: alice) { $0 == 101 }
            }
        }
    }

    @Test func streamsBeyondTheServersCapAreRefusedWhoeverAsks() async throws {
        try await TestServer.run(configure: { $0.maxStreams = 1 }) { server in
            let port = server.client.port!
            let alice = try await server.token("alice"), bob = try await server.token("bob")
            try await withHangGuard {
                try await Self.whileWebSocketOpen(port: port, token: alice) { first in
                    #expect(first == 101)
                    Self.expectRefused(try await upgradeHandshake(port: port, path: "/v1/ws?access_token=\(bob)", offering: [:]))
                }
            }
        }
    }
}
