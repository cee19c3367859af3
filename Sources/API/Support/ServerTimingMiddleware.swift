import Commands
import HTTPTypes
import Hummingbird

/// Adds `Server-Timing: auth;dur=…, decide;dur=…, db;dur=…, total;dur=…` (milliseconds) to the
/// responses of the routes it wraps, with `--server-timing`: where a request's time went, for
/// benchmarks and for a browser's network panel. `total` runs from this middleware (after the
/// HTTP request was parsed) to the response (before its body is written).
struct ServerTimingMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name("Server-Timing")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let times = StageTimes()
        let clock = ContinuousClock()
        let start = clock.now
        var response = try await StageTimes.$current.withValue(times) {
            try await next(request, context)
        }
        response.headers[Self.headerName] = times.headerValue(adding: [("total", clock.now - start)])
        return response
    }
}
