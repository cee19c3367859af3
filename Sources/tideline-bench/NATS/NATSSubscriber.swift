import Logging
import NIOCore
import NIOWebSocket

/// One NATS client over nats-server's WebSocket listener, subscribed to one subject: the same
/// role as ``WebSocketSubscriber`` for Tideline, on the same ``LoopWebSocket`` client.
struct NATSSubscriber: RoomSubscriber {
    let url: String
    let subject: String

    func run(
        onCaughtUp: @escaping @Sendable () -> Void,
        onFrame: @escaping @Sendable (_ kind: ServerFrameScan.Kind, _ frame: ByteBuffer, _ events: Int) -> Bool
    ) async throws {
        try await LoopWebSocket.run(url: url, wire: NATSWire(subject: subject), onCaughtUp: onCaughtUp, onFrame: onFrame)
    }
}

/// NATS's text protocol in binary WebSocket frames. "Caught up" is the `PONG` to a `PING` sent
/// after `SUB`: nats-server handles a client's operations in order, so the subscription is in
/// place. Each `MSG` is an `event`.
struct NATSWire: SubscriberWire {
    let hello: WebSocketFrame
    private var parser = NATSInbound()

    init(subject: String) {
        hello = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: NATSProtocol.connect + "SUB \(subject) 1\r\nPING\r\n"))
    }

    mutating func read(_ frame: WebSocketFrame, deliver: (ServerFrameScan.Kind, ByteBuffer) -> Bool) throws -> WebSocketFrame? {
        var pings = 0
        try parser.consume(frame.data) { operation in
            switch operation {
            case .message(let payload): _ = deliver(.event, payload)
            case .pong: _ = deliver(.caughtUp, ByteBuffer())
            case .ping: pings += 1
            case .error(let line): throw NATSInbound.ProtocolError(description: "nats-server: \(line)")
            case .other: break
            }
        }
        // nats-server closes a client that leaves its PINGs unanswered.
        guard pings > 0 else { return nil }
        return WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(string: String(repeating: "PONG\r\n", count: pings)))
    }
}

/// What every NATS client of the benchmark sends first, and how it logs.
enum NATSProtocol {
    /// `verbose: false`: no `+OK` after every operation, as NATS's own clients do.
    static let connect = #"CONNECT {"verbose":false,"pedantic":false,"protocol":1,"name":"tideline-bench"}"# + "\r\n"

    static let logger: Logger = {
        var logger = Logger(label: "tideline-bench.nats")
        logger.logLevel = .critical
        return logger
    }()

    /// The subject that stands for a Tideline room.
    static func subject(room: String) -> String { "room.\(room)" }

    /// A payload shaped and sized like Tideline's `event` frame for a posted message, so both
    /// servers move the same bytes per delivery; `text` carries the send time as in Tideline's.
    static func payload(room: String, number: Int, text: String) -> String {
        #"{"type":"event","topic":"room:\#(room)","event":{"id":"\#(number + 1)","stream":"room-\#(room)","version":\#(number + 2),"type":"chat.message_posted","occurred_at":"2026-12-02T18:00:00.000000Z","data":{"room_id":"\#(room)","message_id":"m-\#(number)","author":"bench-poster","text":"\#(text)","client_msg_id":"c-\#(number)"},"metadata":{"user":"bench-poster","correlation_id":"00000000-0000-0000-0000-000000000000"}}}"#
    }
}
