import Logging
import NIOCore
import WSClient

/// One WebSocket client subscribed to one room: Tideline's `subscribe` frame, then every frame
/// handed to `onFrame` (without decoding, see ``ServerFrameScan``) until it returns false or the
/// task is cancelled.
struct WebSocketSubscriber: Sendable {
    struct ClosedBeforeCaughtUp: Error, CustomStringConvertible {
        var description: String { "the server closed the WebSocket before caught_up" }
    }

    let url: String
    let room: String
    /// `"0"` replays the room from the beginning; nil starts live.
    var since: String? = nil

    private static let logger: Logger = {
        var logger = Logger(label: "tideline-bench.ws")
        logger.logLevel = .critical
        return logger
    }()

    /// - Parameters:
    ///   - onCaughtUp: called once, when the subscription is live.
    ///   - onFrame: called for every frame with the number of `event` frames so far (this one
    ///     included); return false to close.
    func run(
        onCaughtUp: @escaping @Sendable () -> Void,
        onFrame: @escaping @Sendable (_ kind: ServerFrameScan.Kind, _ frame: ByteBuffer, _ events: Int) -> Bool
    ) async throws {
        let since = self.since.map { #","since":"\#($0)""# } ?? ""
        let subscribe = #"{"type":"subscribe","ref":"s","topics":["room:\#(room)"]\#(since)}"#
        _ = try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 16), logger: Self.logger) { inbound, outbound, _ in
            try await outbound.write(.text(subscribe))
            var caughtUp = false
            var events = 0
            var continuation = false
            // Frames, not messages: a message would copy every frame into a String. Tideline never
            // fragments its frames, but a continuation is skipped rather than misread.
            for try await frame in inbound {
                let first = !continuation
                continuation = !frame.fin
                guard first, frame.opcode == .text else { continue }
                let kind = ServerFrameScan.kind(of: frame.data)
                if kind == .caughtUp, !caughtUp {
                    caughtUp = true
                    onCaughtUp()
                }
                if kind == .event { events += 1 }
                if !onFrame(kind, frame.data, events) { break }
            }
            try? await outbound.close(.normalClosure, reason: nil)
            // A close before `caught_up` (a refusal, a server going away) is a failure to open.
            if !caughtUp, !Task.isCancelled { throw ClosedBeforeCaughtUp() }
        }
    }
}
