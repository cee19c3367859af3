import Hummingbird
import Logging
import NIOCore

/// Per-request state: the authenticated caller once ``AuthMiddleware`` has run.
public struct TidelineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    /// The connection: long-lived responses (SSE) run their timers on its event loop, and
    /// close it when the client stops reading.
    public let channel: any Channel
    public var eventLoop: any EventLoop { channel.eventLoop }

    public init(source: Source) {
        coreContext = .init(source: source)
        caller = nil
        channel = source.channel
    }

    /// The authenticated caller; routes behind ``AuthMiddleware`` always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError.unauthorized("authentication required") }
        return caller
    }
}
