import NIOCore
import WSClient

/// One NATS connection that publishes everything the load generator posts, in the order posted:
/// the counterpart of posting over REST. A publish is accepted once queued for the connection
/// (NATS has no reply to a `PUB`); before closing, a `PING` waits for the server's `PONG`, so
/// every queued message has reached nats-server.
struct NATSPublisher: Sendable {
    private let queue: AsyncStream<ByteBuffer>.Continuation

    /// Queues `payload` for `subject`; false if the connection has ended.
    func publish(subject: String, payload: String) -> Bool {
        let bytes = payload.utf8.count
        guard case .enqueued = queue.yield(ByteBuffer(string: "PUB \(subject) \(bytes)\r\n\(payload)\r\n")) else { return false }
        return true
    }

    /// Runs `body` with a publisher connected to `url`; the connection closes after it returns.
    static func with<Result: Sendable>(url: String, _ body: @Sendable (NATSPublisher) async throws -> Result) async throws -> Result {
        let (messages, queue) = AsyncStream<ByteBuffer>.makeStream()
        let publisher = NATSPublisher(queue: queue)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await connection(url: url, sending: messages)
                return nil
            }
            let result: Result
            do {
                result = try await body(publisher)
            } catch {
                queue.finish()
                group.cancelAll()
                throw error
            }
            queue.finish()
            try await group.waitForAll()
            return result
        }
    }

    private static func connection(url: String, sending messages: AsyncStream<ByteBuffer>) async throws {
        _ = try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 20), logger: NATSProtocol.logger) { inbound, outbound, _ in
            try await outbound.write(.binary(ByteBuffer(string: NATSProtocol.connect)))
            for await message in messages {
                try await outbound.write(.binary(message))
            }
            // Flush: the PONG to this PING comes after nats-server has handled every PUB above.
            try await outbound.write(.binary(ByteBuffer(string: "PING\r\n")))
            var parser = NATSInbound()
            var flushed = false
            for try await frame in inbound {
                try parser.consume(frame.data) { operation in
                    if case .pong = operation { flushed = true }
                    if case .error(let line) = operation { throw NATSInbound.ProtocolError(description: "nats-server: \(line)") }
                }
                if flushed { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)
        }
    }
}
