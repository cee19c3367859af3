import Hummingbird
import Projections

/// `min_event_id` on any GET: wait until the read model shows that event (at most the
/// configured timeout, 2 s by default), else 503 with `Retry-After`, so a client reads its own write.
struct ReadYourWritesMiddleware: RouterMiddleware {
    typealias Context = TidelineRequestContext
    let progress: ProjectionProgress
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get, let raw = request.uri.queryParameters.get("min_event_id") {
            let eventID = try QueryParameters.eventID(raw, field: "min_event_id")
            guard await progress.wait(for: eventID, timeout: timeout) else {
                throw APIError.unavailable("the read model has not caught up with event \(eventID) yet", retryAfter: 1)
            }
        }
        return try await next(request, context)
    }

    /// Whether `request` asks for no `min_event_id`, or for one the read model reaches in time.
    func isSatisfied(by request: Request) async -> Bool {
        guard let raw = request.uri.queryParameters.get("min_event_id") else { return true }
        guard let eventID = try? QueryParameters.eventID(raw, field: "min_event_id") else { return false }
        return await progress.wait(for: eventID, timeout: timeout)
    }
}
