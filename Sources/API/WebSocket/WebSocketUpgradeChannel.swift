import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
@_spi(WSInternal) import WSCore

/// HTTP/1.1 connections that may upgrade to a WebSocket, where a refused upgrade is answered by
/// the HTTP router like any other request.
///
/// HummingbirdWebSocket answers every refused upgrade with a bare 400 and no body
/// (`HTTP1WebSocketUpgradeChannel.writeFailedUpgrade`), so a client cannot tell an expired token
/// from a malformed request. Here, when `decide` refuses, the request that asked for the
/// upgrade is given to the HTTP responder (SwiftNIO's upgrade handler has consumed it, so it is
/// kept aside for that), and the `/v1/ws` route answers it with the status and problem+json body
/// it decides: 401 for a missing or bad token, 400 for an unsupported subprotocol, before any
/// upgrade; then the connection closes, as after any refused upgrade. An accepted
/// upgrade runs WSCore's WebSocket handler (pings, close handshake, compression) as
/// HummingbirdWebSocket does.
struct WebSocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    /// What an upgrade request is granted: the extra response headers and the session to run.
    struct Upgrade: Sendable {
        var headers: HTTPFields
        var session: WebSocketDataHandler<SessionContext>
    }

    /// The context WSCore hands the session.
    struct SessionContext: WebSocketContext {
        let logger: Logger
    }

    /// Grants an upgrade, or returns nil to have the request answered as HTTP.
    typealias Decide = @Sendable (_ request: Request, _ channel: any Channel, _ logger: Logger) async -> Upgrade?

    enum Outcome: Sendable {
        case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Upgrade, [any WebSocketExtension])
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        let channel: any Channel
        /// The upgrade request `decide` refused, to be answered as HTTP.
        let refused: NIOLockedValueBox<Request?>
    }

    let responder: Responder
    /// `idleTimeout` closes a connection that sends no new request for that long; it applies
    /// from the first request on (Hummingbird's state handler joins the pipeline then).
    let http1: HTTP1Channel.Configuration
    let webSocket: WebSocketServerConfiguration
    /// How long a new connection has to deliver its first request's head. Without it, a client
    /// that trickles header bytes (slow loris) holds the connection for good: the idle timeout
    /// only starts once a head has arrived.
    let headerTimeout: Duration
    let decide: Decide

    /// The server for `Application(server:)`.
    static func builder(
        http1: HTTP1Channel.Configuration, webSocket: WebSocketServerConfiguration, headerTimeout: Duration, decide: @escaping Decide
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            WebSocketUpgradeChannel(responder: responder, http1: http1, webSocket: webSocket, headerTimeout: headerTimeout, decide: decide)
        }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // What `decide` granted, kept for the pipeline handler (one upgrade per connection:
            // the upgrade handler looks at the first request only).
            let granted = NIOLockedValueBox<(Upgrade, [any WebSocketExtension])?>(nil)
            let refused = NIOLockedValueBox<Request?>(nil)
            // Both ways on from here (an upgrade decision, or plain HTTP) start once the first
            // head has been parsed: each cancels the deadline.
            let headerDeadline = channel.eventLoop.scheduleTask(in: TimeAmount(headerTimeout)) {
                logger.debug("closing a connection that sent no complete request head in time")
                channel.close(promise: nil)
            }
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: webSocket.maxFrameSize,
                shouldUpgrade: { channel, head in
                    headerDeadline.cancel()
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let request = Request(head: try HTTPRequest(head, secure: false, splitCookie: false), body: .init(buffer: ByteBuffer()))
                        guard let upgrade = await decide(request, channel, logger) else {
                            refused.withLockedValue { $0 = request }
                            return nil
                        }
                        var headers = upgrade.headers
                        let extensions = try negotiateExtensions(request: request.headers, response: &headers)
                        granted.withLockedValue { $0 = (upgrade, extensions) }
                        return HTTPHeaders(headers)
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let (upgrade, extensions) = granted.withLockedValue({ $0 }) else {
                            preconditionFailure("the upgrade handler runs only after an upgrade was granted")
                        }
                        let frames = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        return Outcome.webSocket(frames, upgrade, extensions)
                    }
                }
            )
            let upgrades = NIOTypedHTTPServerUpgradeConfiguration<Outcome>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    headerDeadline.cancel()
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { Duration($0) }, logger: logger)
                        )
                        return Outcome.http(
                            try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)
                            )
                        )
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: upgrades)
            pipeline.enablePipelining = false  // NIOAsyncChannel reads one request at a time
            pipeline.enableErrorHandling = false  // Hummingbird answers parse errors
            pipeline.enableResponseHeaderValidation = false  // HTTPTypes already validates
            pipeline.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            pipeline.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            pipeline.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(outcome: outcome, channel: channel, refused: refused)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                if let request = value.refused.withLockedValue({ $0 }) {
                    try await http.executeThenClose { _, outbound in
                        try await responder(request, ResponseWriter(outbound: outbound), http.channel)
                    }
                } else {
                    await handleHTTP(asyncChannel: http, logger: logger)
                }
            case .webSocket(let frames, let upgrade, let extensions):
                let configuration = WebSocketHandler.Configuration(
                    extensions: extensions,
                    autoPing: webSocket.autoPing,
                    closeTimeout: webSocket.closeTimeout,
                    validateUTF8: webSocket.validateUTF8,
                    maxFrameSize: webSocket.maxFrameSize
                )
                do {
                    _ = try await WebSocketHandler.handle(
                        type: .server, configuration: configuration, asyncChannel: frames,
                        context: SessionContext(logger: logger), handler: upgrade.session
                    )
                } catch {
                    logger.debug("WebSocket session ended with an error", metadata: ["error": "\(error)"])
                }
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("the connection closed before its first request was read")
        } catch {
            logger.debug("HTTP upgrade failed", metadata: ["error": "\(error)"])
        }
    }

    /// The extensions (permessage-deflate) both sides agree on, their answer added to `response`.
    private func negotiateExtensions(request: HTTPFields, response: inout HTTPFields) throws -> [any WebSocketExtension] {
        let offered = WebSocketExtensionHTTPParameters.parseHeaders(request)
        for answer in webSocket.extensions.compactMap({ $0.serverResponseHeader(to: offered) }) {
            response.append(HTTPField(name: .secWebSocketExtensions, value: answer))
        }
        return try webSocket.extensions.compactMap { try $0.serverExtension(from: offered) }
    }
}
