import Hummingbird
import Logging
import NIOCore

/// Per-request state: the authenticated caller once ``AuthMiddleware`` has run.
public struct TidelineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    /// The connection's event loop: long-lived responses (SSE) run their timers on it.
    public let eventLoop: any EventLoop

    public init(source: Source) {
        coreContext = .init(source: source)
        caller = nil
        eventLoop = source.channel.eventLoop
    }

    /// The authenticated caller; routes behind ``AuthMiddleware`` always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError.unauthorized("authentication required") }
        return caller
    }
}
