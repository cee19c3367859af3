import Domain
import Foundation
import NIOCore
import NIOPosix

/// A WebSocket client that can stop reading, as a phone on a bad network does.
///
/// Ordinary clients read whatever arrives, and the loopback interface's autotuned buffers would
/// absorb megabytes before the server noticed anything. This one asks for a tiny socket receive
/// buffer (which turns autotuning off) and reads only when told, so the server's writes to it
/// really back up. It speaks just enough of RFC 6455 for the tests: no extensions, text frames.
enum SlowWebSocketClient {
    /// What the client saw once it read everything the server had sent.
    struct Received {
        var frames: [JSONValue]
        /// The close code the server sent, or nil if the connection ended without a close frame.
        var closeCode: UInt16?
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `/v1/ws` and upgrades, then runs `body` with the open connection; closes it after.
    static func connect<Result>(
        port: Int, token: String, _ body: (inout Session) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A tiny inbound buffer: when the test stops reading, NIO stops reading too.
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2))
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(iterator: inbound.makeAsyncIterator(), outbound: outbound)
            try await session.upgrade(port: port, token: token)
            return try await body(&session)
        }
    }

    struct Session {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var buffer = ByteBuffer()

        fileprivate mutating func upgrade(port: Int, token: String) async throws {
            let request = """
                GET /v1/ws?access_token=\(token) HTTP/1.1\r
                Host: 127.0.0.1:\(port)\r
                Upgrade: websocket\r
                Connection: Upgrade\r
                Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
                Sec-WebSocket-Version: 13\r
                \r

                """
            try await outbound.write(ByteBuffer(string: request))
            while true {
                let view = buffer.readableBytesView
                if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
                    let head = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
                    buffer.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
                    guard head.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "upgrade refused: \(head)") }
                    return
                }
                guard var chunk = try await iterator.next() else { throw Failure(description: "closed during the upgrade") }
                buffer.writeBuffer(&chunk)
            }
        }

        /// Sends one text frame, masked as RFC 6455 requires of clients.
        func send(_ text: String) async throws {
            try await send(opcode: 0x1, Array(text.utf8))
        }

        private func send(opcode: UInt8, _ payload: [UInt8]) async throws {
            let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
            var frame = ByteBuffer()
            frame.writeInteger(UInt8(0x80 | opcode))  // FIN
            switch payload.count {
            case ..<126: frame.writeInteger(UInt8(0x80 | payload.count))
            case ..<65536: frame.writeInteger(UInt8(0x80 | 126)); frame.writeInteger(UInt16(payload.count))
            default: frame.writeInteger(UInt8(0x80 | 127)); frame.writeInteger(UInt64(payload.count))
            }
            frame.writeBytes(mask)
            frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
            try await outbound.write(frame)
        }

        /// Reads frames until `done` says so, the server closes, or the connection ends.
        mutating func read(until done: (JSONValue) -> Bool = { _ in false }) async throws -> Received {
            var received = Received(frames: [], closeCode: nil)
            while true {
                while let (opcode, payload) = nextFrame() {
                    switch opcode {
                    case 0x1:
                        let frame = (try? JSONDecoder().decode(JSONValue.self, from: Data(payload))) ?? .null
                        received.frames.append(frame)
                        if done(frame) { return received }
                    case 0x8:
                        received.closeCode = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil
                        // Answer it, as RFC 6455 asks (the server may have closed the connection already).
                        try? await send(opcode: 0x8, Array(payload.prefix(2)))
                        return received
                    default: continue  // pings are answered by nobody: the test is over long before 40 s
                    }
                }
                guard var chunk = try await iterator.next() else { return received }
                buffer.writeBuffer(&chunk)
            }
        }

        /// Takes one whole unmasked server frame off the buffer, if it has arrived.
        private mutating func nextFrame() -> (opcode: UInt8, payload: [UInt8])? {
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
                  let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return nil }
            var headerLength = 2
            var length = Int(second & 0x7F)
            if length == 126 {
                guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
                length = Int(extended)
                headerLength = 4
            } else if length == 127 {
                guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
                length = Int(extended)
                headerLength = 10
            }
            guard buffer.readableBytes >= headerLength + length else { return nil }
            buffer.moveReaderIndex(forwardBy: headerLength)
            let payload = buffer.readBytes(length: length) ?? []
            return (first & 0x0F, payload)
        }
    }
}
