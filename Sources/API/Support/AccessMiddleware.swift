import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics

/// What each request leaves behind for operators, in one place:
/// - its id: the client's `X-Request-Id` when it sends a sane one (1-128 of `A-Z a-z 0-9 . _ -`),
///   else Hummingbird's own; in every log line of the request (`hb.request.id`), in the
///   `X-Request-Id` response header, and in problem+json bodies (`request_id`);
/// - one access line at info level when the response is fully written: method, route (the
///   pattern, not the path, so ids do not leak into logs), status, duration;
/// - `tideline_http_requests_total{method, route, status}` and
///   `tideline_http_request_duration_seconds{method, route}`.
/// A stream (SSE, WebSocket) is logged and timed when it ends.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestIDHeader: HTTPField.Name { HTTPField.Name("X-Request-Id")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let given = request.headers[Self.requestIDHeader], Self.isSane(given) {
            context.logger[metadataKey: "hb.request.id"] = .string(given)
        }
        let started = ContinuousClock.now
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDHeader] = context.id
            let status = response.status
            let body = response.body
            response.body = ResponseBody(contentLength: body.contentLength) { [context] writer in
                defer { Self.record(request, context: context, status: status, since: started) }
                try await body.write(writer)
            }
            return response
        } catch {
            // Only what escaped the problem middleware (nothing, normally) gets here.
            Self.record(request, context: context, status: .internalServerError, since: started)
            throw error
        }
    }

    static func isSane(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { Identifier.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func record(_ request: Request, context: Context, status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
        let took = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        let method = request.method.rawValue
        Counter(label: "tideline_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status.code))])
            .increment()
        Metrics.Timer(label: "tideline_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], preferredDisplayUnit: .seconds)
            .record(duration: took)
        let milliseconds = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
        context.logger.info("request", metadata: [
            "method": "\(method)", "route": "\(route)", "status": "\(status.code)",
            "duration_ms": "\((milliseconds * 10).rounded() / 10)",
        ])
    }
}
