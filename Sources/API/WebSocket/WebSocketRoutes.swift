import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import HummingbirdWSCompression
import Logging

/// `GET /v1/ws`: authenticates and negotiates the subprotocol before upgrading. A refused
/// upgrade falls through to the HTTP router, whose `/v1/ws` route answers it as problem+json
/// (401 for a bad token, 400 for an unknown subprotocol, like any other request).
struct WebSocketRoutes: Sendable {
    static let subprotocol = "tideline.v1"
    let session: WebSocketSession
    let auth: AuthMiddleware

    /// The router that decides on upgrades.
    func upgradeRouter() -> Router<WebSocketChannelContext> {
        let router = Router(context: WebSocketChannelContext.self)
        router.ws("/v1/ws") { request, _ in
            guard (try? await auth.authenticate(request)) != nil else { return .dontUpgrade }
            switch Self.negotiate(request.headers[.secWebSocketProtocol]) {
            case .none: return .upgrade([:])
            case .accepted: return .upgrade([.secWebSocketProtocol: Self.subprotocol])
            case .refused: return .dontUpgrade
            }
        } onUpgrade: { inbound, outbound, context in
            guard let caller = try? await auth.authenticate(context.request) else { return }
            await session.run(
                caller: caller, inbound: inbound, outbound: outbound, channel: context.requestContext.channel, logger: context.logger
            )
        }
        return router
    }

    /// The HTTP side of `/v1/ws`, reached only when no upgrade happened.
    func add(to group: RouterGroup<TidelineRequestContext>) {
        group.get("ws") { request, context -> Response in
            _ = try context.requireCaller()
            if case .refused = Self.negotiate(request.headers[.secWebSocketProtocol]) {
                throw APIError.malformed("unsupported WebSocket subprotocol: this server speaks \(Self.subprotocol)")
            }
            throw APIError.malformed("this route needs a WebSocket upgrade (GET with Upgrade: websocket)")
        }
    }

    enum Negotiation { case none, accepted, refused }

    /// The client's offered subprotocols: none offered is fine, otherwise ours must be among them.
    static func negotiate(_ header: String?) -> Negotiation {
        guard let header else { return .none }
        let offered = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return offered.contains(subprotocol) ? .accepted : .refused
    }

    static func serverConfiguration(pingInterval: Duration) -> WebSocketServerConfiguration {
        WebSocketServerConfiguration(
            maxFrameSize: WebSocketSession.maxFrameBytes,
            // The extension's own limit is approximate (it inflates into whole buffer allocations,
            // so a little more gets through) and refuses with 1011. Set above the contract's, it
            // only bounds memory; the session enforces 64 KiB exactly, with 1009.
            extensions: [.perMessageDeflate(maxDecompressedFrameSize: 2 * WebSocketSession.maxFrameBytes)],
            // Contract: a ping every 20 s; a peer silent for 40 s (no pong by the next ping) is dropped.
            autoPing: .enabled(timePeriod: pingInterval)
        )
    }
}
