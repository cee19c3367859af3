import Foundation
#if canImport(Glibc)
import Glibc
#endif
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

/// An SSE client that keeps its connection open but stops reading is closed once a write has
/// waited longer than the write timeout, as a slow WebSocket is (4008): its slot comes back.
@Suite struct SSEWriteTimeoutTests {
    /// A plain socket that sends `request`, reads the first bytes of the answer (returned), and
    /// reads nothing more; the caller closes it.
    static func connectWithoutReading(port: Int, request: String) throws -> (socket: Int32, head: String) {
        struct SocketFailed: Error {}
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 2048
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        let bytes = Array(request.utf8)
        guard connected, send(fd, bytes, bytes.count, 0) == bytes.count else {
            close(fd)
            throw SocketFailed()
        }
        // A blocking read, bounded: the answer's first bytes arrive within milliseconds.
        var limit = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var head = [UInt8](repeating: 0, count: 64)
        let received = recv(fd, &head, head.count, 0)
        return (fd, String(decoding: head.prefix(max(0, received)), as: UTF8.self))
    }

    @Test func anSSEClientThatStopsReadingIsClosedAndItsSlotComesBack() async throws {
        try await TestServer.run(configure: {
            $0.maxStreamsPerUser = 1
            $0.liveQueueLimit = 16
            $0.keepAliveInterval = .seconds(1)
            $0.sseWriteTimeout = .seconds(2)
        }) { server in
            let port = server.client.port!
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "bob")
            let alice = try await server.token("alice")
            // A connection that never reads, with a small receive buffer: once the kernel's
            // buffers are full, the server's writes stop completing.
            let stalled = try Self.connectWithoutReading(
                port: port, request: "GET /v1/stream?topics=room:\(room)&access_token=\(alice) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            )
            defer { close(stalled.socket) }
            #expect(stalled.head.hasPrefix("HTTP/1.1 200"), "\(stalled.head)")
            // It holds alice's only slot. (Probes are WebSocket handshakes: they hang up at once.)
            #expect(try await upgradeHandshake(port: port, path: "/v1/ws?access_token=\(alice)", offering: [:]).status == 429)
            // More than the kernel's socket buffers take (they grow to a few MB on loopback).
            let bob = try await server.token("bob")
            try await ConcurrentClient.postMessages(2500, port: port, room: room, token: bob) { n in
                "\(n) " + String(repeating: "x", count: 3000)
            }
            try await eventually("the stalled stream to be closed and its slot given back") {
                try await upgradeHandshake(port: port, path: "/v1/ws?access_token=\(alice)", offering: [:]).status == 101
            }
        }
    }
}
