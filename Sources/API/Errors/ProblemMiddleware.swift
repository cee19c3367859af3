import Domain
import EventStore
import Hummingbird
import Logging
import PostgresNIO

/// Turns every error a route throws into a problem+json response: domain rejections, validation
/// failures, store conflicts and Hummingbird's own errors (404 for unknown routes, 413 for big
/// bodies). A database failure is logged with its full text and answered 503; its text never
/// reaches the client.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.apiError(for: error, logger: context.logger).response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let rejection as DomainRejection:
            switch rejection {
            case .notFound(let detail): return .notFound(detail)
            case .forbidden(let detail): return .forbidden(detail)
            case .conflict(let detail): return .conflict(detail)
            case .validation(let errors): return .validation(errors)
            }
        case let failure as ValidationFailure:
            return .validation(failure.errors)
        case let storeError as EventStoreError:
            return .conflict(storeError.detail)
        case let httpError as HTTPError:
            return map(httpError.status, detail: httpError.body)
        case let responseError as any HTTPResponseError:
            return map(responseError.status, detail: nil)
        case let error as PSQLError where error.sqlState?.hasPrefix("22") == true:
            // A data exception: a value validation let through that PostgreSQL cannot store.
            // The request is at fault, and retrying it would fail the same way.
            logger.warning("database refused a request value", metadata: ["error": "\(LoggableError(error))"])
            return .malformed("the request contains a value that cannot be stored")
        case is PSQLError, is PostgresTransactionError:
            logger.error("database error", metadata: ["error": "\(LoggableError(error))"])
            return .unavailable("the database is unavailable; retry shortly")
        default:
            logger.error("unhandled error", metadata: ["error": "\(LoggableError(error))"])
            return .internalError()
        }
    }

    static func map(_ status: HTTPResponse.Status, detail: String?) -> APIError {
        switch status {
        case .notFound: .notFound(detail ?? "no such route")
        case .contentTooLarge: .init(status: status, code: "payload_too_large", detail: detail ?? "request body too large")
        case .unauthorized: .unauthorized(detail ?? "authentication required")
        case .forbidden: .forbidden(detail ?? "forbidden")
        case .methodNotAllowed: .init(status: status, code: "malformed_request", detail: detail ?? "method not allowed")
        case .unsupportedMediaType: .unsupportedMediaType(detail ?? "unsupported media type")
        case .serviceUnavailable: .unavailable(detail ?? "unavailable")
        default:
            status.code < 500
                ? .init(status: status, code: "malformed_request", detail: detail ?? status.reasonPhrase)
                : .internalError()
        }
    }
}
