import NIOCore

/// Splits what nats-server sends (`INFO`, `MSG`, `PING`, `PONG`, `+OK`, `-ERR`) out of WebSocket
/// frames. nats-server packs several operations into one frame and may split one across frames,
/// so the bytes are read as a stream, not frame by frame.
struct NATSInbound {
    enum Operation {
        /// A `MSG`'s payload (a slice of the received bytes, not a copy).
        case message(ByteBuffer)
        case ping
        case pong
        case error(String)
        /// `INFO` and `+OK`: nothing a load generator acts on.
        case other
    }

    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    private var pending = ByteBuffer()
    /// The payload size announced by the last `MSG` line, until its payload has arrived.
    private var awaitedPayload: Int?

    /// Appends `bytes` and hands every complete operation to `handle`, in order.
    mutating func consume(_ bytes: ByteBuffer, _ handle: (Operation) throws -> Void) throws {
        if pending.readableBytes == 0 {
            pending = bytes
        } else {
            var bytes = bytes
            pending.writeBuffer(&bytes)
        }
        while true {
            if let size = awaitedPayload {
                guard pending.readableBytes >= size + 2, let payload = pending.readSlice(length: size) else { break }
                pending.moveReaderIndex(forwardBy: 2)
                awaitedPayload = nil
                try handle(.message(payload))
                continue
            }
            guard let line = nextLine() else { break }
            switch line {
            case .message(let size): awaitedPayload = size
            case .operation(let operation): try handle(operation)
            }
        }
        if pending.readableBytes == 0 { pending.clear() } else if pending.readerIndex > 1 << 16 { pending.discardReadBytes() }
    }

    private enum Line {
        /// `MSG <subject> <sid> [reply-to] <#bytes>`: the payload's size.
        case message(Int)
        case operation(Operation)
    }

    /// Reads the line at the reader index and its CRLF, if complete. Parsed from the bytes: a
    /// String per `MSG` line would make the client's parsing cost more than the server's.
    private mutating func nextLine() -> Line? {
        let parsed = pending.withUnsafeReadableBytes { bytes -> (length: Int, line: Line)? in
            guard bytes.count >= 2, let end = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) else { return nil }
            let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
            if line.starts(with: Self.msg) {
                // The size is the last field: digits back from the end of the line.
                var size = 0, scale = 1, index = line.count - 1
                while index >= 0, (48...57).contains(line[index]) {
                    size += Int(line[index] - 48) * scale
                    scale *= 10
                    index -= 1
                }
                guard index < line.count - 1 else { return (end, .operation(.error("MSG without a size"))) }
                return (end, .message(size))
            }
            if line.elementsEqual(Self.ping) { return (end, .operation(.ping)) }
            if line.elementsEqual(Self.pong) { return (end, .operation(.pong)) }
            if line.starts(with: Self.err) { return (end, .operation(.error(String(decoding: line, as: UTF8.self)))) }
            return (end, .operation(.other))
        }
        guard let parsed else { return nil }
        pending.moveReaderIndex(forwardBy: parsed.length + 2)
        return parsed.line
    }

    private static let msg = Array("MSG ".utf8)
    private static let ping = Array("PING".utf8)
    private static let pong = Array("PONG".utf8)
    private static let err = Array("-ERR".utf8)
}
