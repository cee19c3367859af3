import Domain
import HTTPTypes
import Hummingbird

/// Every POST may carry an `Idempotency-Key` (1-128 printable ASCII characters); a malformed one
/// is 400 on every POST, including those that store nothing (typing, the dev token route).
struct IdempotencyKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    static var headerName: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .post, let key = request.headers[Self.headerName], !IdempotencyKey.isValid(key) {
            throw APIError.malformed("Idempotency-Key must be 1-128 printable ASCII characters")
        }
        return try await next(request, context)
    }
}
