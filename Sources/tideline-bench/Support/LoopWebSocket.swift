import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// How a subscriber speaks to one kind of server, frame by frame on the channel's event loop.
protocol SubscriberWire: Sendable {
    /// Sent once the WebSocket is open: the subscription request.
    var hello: WebSocketFrame { get }

    /// Reads one data frame; hands each server message in it to `deliver` (which returns false
    /// once the subscriber wants no more) and returns what to send back, if anything.
    mutating func read(_ frame: WebSocketFrame, deliver: (ServerFrameScan.Kind, ByteBuffer) -> Bool) throws -> WebSocketFrame?
}

/// A WebSocket client for load generation that handles every frame in a channel handler, on the
/// event loop that read it: no async sequence, no task switch and no copy per frame.
///
/// With ten thousand subscribers on the same two cores as the server, the client's cost per
/// frame decides how much CPU is left for the server being measured; the same client runs
/// against every server, so the comparison stays fair.
enum LoopWebSocket {
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `url` (`ws://host:port/path?query`), sends the wire's hello and reads until
    /// `onFrame` returns false, the server closes, or the task is cancelled.
    /// - Throws: ``WebSocketSubscriber/ClosedBeforeCaughtUp`` (or what failed) if the connection
    ///   ended before the wire reported `caught_up`, unless the task was cancelled.
    static func run(
        url: String, wire: some SubscriberWire, maxFrameSize: Int = 1 << 20,
        onCaughtUp: @escaping @Sendable () -> Void,
        onFrame: @escaping @Sendable (_ kind: ServerFrameScan.Kind, _ frame: ByteBuffer, _ events: Int) -> Bool
    ) async throws {
        guard let target = URLComponents(string: url), let host = target.host else { throw Refused(description: "not a ws:// URL: \(url)") }
        let port = target.port ?? 80
        let path = (target.percentEncodedPath.isEmpty ? "/" : target.percentEncodedPath) + (target.percentEncodedQuery.map { "?\($0)" } ?? "")
        let outcome = Outcome()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maxFrameSize) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            FrameHandler(wire: wire, outcome: outcome, onCaughtUp: onCaughtUp, onFrame: onFrame)
                        )
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let request = UpgradeRequest(host: "\(host):\(port)", path: path, outcome: outcome)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        withClientUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.removeHandler(name: UpgradeRequest.name, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(request, name: UpgradeRequest.name)
                }
            }
            .connect(host: host, port: port).get()
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        if !outcome.caughtUp, !Task.isCancelled { throw outcome.failure ?? WebSocketSubscriber.ClosedBeforeCaughtUp() }
    }

    /// What the handlers learned, read by the task once the channel has closed.
    private final class Outcome: Sendable {
        private let state = Mutex<(caughtUp: Bool, failure: (any Error)?)>((false, nil))
        var caughtUp: Bool { state.withLock { $0.caughtUp } }
        var failure: (any Error)? { state.withLock { $0.failure } }
        func reachedCaughtUp() { state.withLock { $0.caughtUp = true } }
        func fail(_ error: any Error) { state.withLock { if $0.failure == nil { $0.failure = error } } }
    }

    /// Sends the upgrade request (NIO's upgrade handler adds the WebSocket headers) and reports
    /// a refusal: a response that reaches this handler is one that did not upgrade.
    private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        static let name = "tideline-bench.upgrade-request"

        private let host: String
        private let path: String
        private let outcome: Outcome

        init(host: String, path: String, outcome: Outcome) {
            (self.host, self.path, self.outcome) = (host, path, outcome)
        }

        func channelActive(context: ChannelHandlerContext) {
            var headers = HTTPHeaders([("Host", host), ("Content-Length", "0")])
            headers.add(name: "User-Agent", value: "tideline-bench")
            context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                outcome.fail(Refused(description: "the server refused the WebSocket: \(head.status.code) \(head.status.reasonPhrase)"))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            outcome.fail(error)
            context.close(promise: nil)
        }
    }

    /// The open WebSocket: hello, pings answered, data frames read by the wire.
    private final class FrameHandler<Wire: SubscriberWire>: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame

        private var wire: Wire
        private let outcome: Outcome
        private let onCaughtUp: @Sendable () -> Void
        private let onFrame: @Sendable (ServerFrameScan.Kind, ByteBuffer, Int) -> Bool
        private var caughtUp = false
        private var events = 0
        private var open = true

        init(wire: Wire, outcome: Outcome, onCaughtUp: @escaping @Sendable () -> Void, onFrame: @escaping @Sendable (ServerFrameScan.Kind, ByteBuffer, Int) -> Bool) {
            (self.wire, self.outcome, self.onCaughtUp, self.onFrame) = (wire, outcome, onCaughtUp, onFrame)
        }

        func handlerAdded(context: ChannelHandlerContext) {
            context.writeAndFlush(wrapOutboundOut(masked(wire.hello)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .ping:
                context.writeAndFlush(wrapOutboundOut(masked(WebSocketFrame(fin: true, opcode: .pong, data: frame.data))), promise: nil)
            case .connectionClose:
                close(context)
            case .text, .binary, .continuation:
                guard open else { return }
                do {
                    let reply = try wire.read(frame) { kind, payload in
                        if kind == .caughtUp, !caughtUp {
                            caughtUp = true
                            outcome.reachedCaughtUp()
                            onCaughtUp()
                        }
                        if kind == .event { events += 1 }
                        if open, !onFrame(kind, payload, events) { open = false }
                        return open
                    }
                    if let reply { context.writeAndFlush(wrapOutboundOut(masked(reply)), promise: nil) }
                } catch {
                    outcome.fail(error)
                    open = false
                }
                if !open { close(context) }
            default:
                break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            outcome.fail(error)
            context.close(promise: nil)
        }

        /// A polite close: the close frame, then the socket.
        private func close(_ context: ChannelHandlerContext) {
            open = false
            var code = context.channel.allocator.buffer(capacity: 2)
            code.write(webSocketErrorCode: .normalClosure)
            context.writeAndFlush(wrapOutboundOut(masked(WebSocketFrame(fin: true, opcode: .connectionClose, data: code))))
                .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }

        /// Clients mask every frame they send (RFC 6455 §5.3).
        private func masked(_ frame: WebSocketFrame) -> WebSocketFrame {
            var frame = frame
            frame.maskKey = .random()
            return frame
        }
    }
}
