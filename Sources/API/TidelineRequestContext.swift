import Hummingbird
import Logging

/// Per-request state: the authenticated caller once ``AuthMiddleware`` has run.
public struct TidelineRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?

    public init(source: Source) {
        coreContext = .init(source: source)
        caller = nil
    }

    /// The authenticated caller; routes behind ``AuthMiddleware`` always have one.
    func requireCaller() throws -> Caller {
        guard let caller else { throw APIError.unauthorized("authentication required") }
        return caller
    }
}
