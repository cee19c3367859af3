import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import HummingbirdWSCompression
import Logging
import NIOCore

/// `GET /v1/ws`: authenticates and negotiates the subprotocol before upgrading. A refused
/// upgrade goes on to the HTTP router (``WebSocketUpgradeChannel``), whose `/v1/ws` route answers
/// it as problem+json like any other request: 401 for a missing, malformed, wrongly signed or
/// expired token, 400 for an unsupported subprotocol, 422 for a bad `min_event_id`, 503 when
/// the read model does not reach it in time, 429 over the stream caps.
struct WebSocketRoutes: Sendable {
    static let subprotocol = "tideline.v1"
    static let path = "/v1/ws"
    let session: WebSocketSession
    let auth: AuthMiddleware
    let slots: StreamSlots
    /// `min_event_id` (contract: any GET accepts it) holds the upgrade until the read model
    /// shows that event, as ``ReadYourWritesMiddleware`` holds other GETs.
    let readYourWrites: ReadYourWritesMiddleware

    /// Whether an upgrade request becomes a session: the token verifies and the subprotocol fits.
    func decide(request: Request, channel: any Channel, logger: Logger) async -> WebSocketUpgradeChannel.Upgrade? {
        guard request.uri.path == Self.path, let caller = try? await auth.authenticate(request) else { return nil }
        // Not there in time (or not an id): refused, and the router's middleware answers why.
        guard await readYourWrites.isSatisfied(by: request) else { return nil }
        let headers: HTTPFields
        switch Self.negotiate(request.headers[.secWebSocketProtocol]) {
        case .none: headers = [:]
        case .accepted: headers = [.secWebSocketProtocol: Self.subprotocol]
        case .refused: return nil
        }
        // Held until the session ends (or the upgrade is dropped): see StreamSlots.Slot.
        guard let slot = try? slots.take(for: caller.user) else { return nil }
        return WebSocketUpgradeChannel.Upgrade(headers: headers) { [session] inbound, outbound, context in
            await session.run(caller: caller, inbound: inbound, outbound: outbound, channel: channel, logger: context.logger)
            withExtendedLifetime(slot) {}
        }
    }

    /// The HTTP side of `/v1/ws`: a request that asked for no upgrade, or one that was refused.
    func add(to group: RouterGroup<TidelineRequestContext>) {
        group.get("ws") { request, context -> Response in
            let caller = try context.requireCaller()
            if case .refused = Self.negotiate(request.headers[.secWebSocketProtocol]) {
                throw APIError.malformed("unsupported WebSocket subprotocol: this server speaks \(Self.subprotocol)")
            }
            if let refusal = slots.refusal(for: caller.user) { throw refusal }
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

    static func serverConfiguration(pingInterval: Duration, maxFrameBytes: Int) -> WebSocketServerConfiguration {
        WebSocketServerConfiguration(
            maxFrameSize: maxFrameBytes,
            // The extension's own limit is approximate (it inflates into whole buffer allocations,
            // so a little more gets through) and refuses with 1011. Set above the contract's, it
            // only bounds memory; the session enforces 64 KiB exactly, with 1009.
            extensions: [.perMessageDeflate(maxDecompressedFrameSize: 2 * maxFrameBytes)],
            // Contract: a ping every 20 s; a peer silent for 40 s (no pong by the next ping) is dropped.
            autoPing: .enabled(timePeriod: pingInterval)
        )
    }
}
