import NIOCore
import NIOWebSocket

/// One WebSocket client subscribed to one room: Tideline's `subscribe` frame, then every frame
/// handed to `onFrame` (without decoding, see ``ServerFrameScan``) until it returns false or the
/// task is cancelled. Runs on ``LoopWebSocket``.
struct WebSocketSubscriber: RoomSubscriber {
    struct ClosedBeforeCaughtUp: Error, CustomStringConvertible {
        var description: String { "the server closed the WebSocket before caught_up" }
    }

    let url: String
    let room: String
    /// `"0"` replays the room from the beginning; nil starts live.
    var since: String? = nil

    func run(
        onCaughtUp: @escaping @Sendable () -> Void,
        onFrame: @escaping @Sendable (_ kind: ServerFrameScan.Kind, _ frame: ByteBuffer, _ events: Int) -> Bool
    ) async throws {
        let since = self.since.map { #","since":"\#($0)""# } ?? ""
        let subscribe = #"{"type":"subscribe","ref":"s","topics":["room:\#(room)"]\#(since)}"#
        try await LoopWebSocket.run(url: url, wire: TidelineWire(subscribe: subscribe), onCaughtUp: onCaughtUp, onFrame: onFrame)
    }
}

/// Tideline's frames: one JSON text frame per server message.
struct TidelineWire: SubscriberWire {
    let hello: WebSocketFrame
    /// Whether the next frame continues a fragmented message. Tideline never fragments its
    /// frames, but a continuation is skipped rather than misread.
    private var inContinuation = false

    init(subscribe: String) {
        hello = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: subscribe))
    }

    mutating func read(_ frame: WebSocketFrame, deliver: (ServerFrameScan.Kind, ByteBuffer) -> Bool) throws -> WebSocketFrame? {
        let first = !inContinuation
        inContinuation = !frame.fin
        guard first, frame.opcode == .text else { return nil }
        _ = deliver(ServerFrameScan.kind(of: frame.data), frame.data)
        return nil
    }
}
