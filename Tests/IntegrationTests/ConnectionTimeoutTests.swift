import Foundation
import NIOCore
import NIOPosix
import Testing

/// HTTP connections that hold the server's resources without using them are closed: one that
/// trickles its first request's header bytes (slow loris), and one that goes quiet after a
/// request. Both limits are set to a second here; the defaults are 10 s and 60 s.
@Suite struct ConnectionTimeoutTests {
    /// A raw TCP connection to the test server: bytes out, and whether the server hung up.
    static func withRawConnection<T: Sendable>(
        port: Int, _ body: @escaping @Sendable (NIOAsyncChannelOutboundWriter<ByteBuffer>, NIOAsyncChannelInboundStream<ByteBuffer>) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in try await body(outbound, inbound) }
    }

    @Test func aClientTricklingItsFirstHeadersIsDisconnected() async throws {
        try await TestServer.run(configure: { $0.httpHeaderTimeout = .seconds(1) }) { server in
            let port = server.client.port!
            let disconnected = try await Self.withRawConnection(port: port) { outbound, inbound in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        // The server's end of the connection: nothing is ever answered. A reset
                        // (the server closed with header bytes of ours still unread) is a hang-up too.
                        do { for try await _ in inbound {} } catch {}
                        return true
                    }
                    group.addTask {
                        // A header line every 200 ms, never the blank line that ends the head:
                        // a minute of it, far past the limit.
                        try? await outbound.write(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"))
                        for n in 0..<300 {
                            try await Task.sleep(for: .milliseconds(200))
                            do { try await outbound.write(ByteBuffer(string: "X-Slow-\(n): y\r\n")) } catch { return true }
                        }
                        return false
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? false
                }
            }
            #expect(disconnected, "the server kept a connection whose headers never ended")
        }
    }

    @Test func aConnectionQuietAfterARequestIsClosed() async throws {
        try await TestServer.run(configure: { $0.httpIdleTimeout = .seconds(1) }) { server in
            let port = server.client.port!
            let response = try await withHangGuard {
                try await Self.withRawConnection(port: port) { outbound, inbound in
                    try await outbound.write(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
                    // Everything the server sends until it closes the connection: the answer,
                    // then nothing while the client stays quiet, then the end.
                    var received = ""
                    for try await chunk in inbound { received += String(buffer: chunk) }
                    return received
                }
            }
            #expect(response.hasPrefix("HTTP/1.1 200"), "\(response)")
        }
    }
}
