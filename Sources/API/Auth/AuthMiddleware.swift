import Commands
import Hummingbird

/// Authenticates `/v1` requests from `Authorization: Bearer <jwt>` or, for clients that cannot
/// set headers (browser WebSocket and EventSource), the `access_token` query parameter.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = TidelineRequestContext
    let tokens: TokenService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.caller = try await StageTimes.measure("auth") { try await authenticate(request) }
        return try await next(request, context)
    }

    func authenticate(_ request: Request) async throws -> Caller {
        let token: String
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw APIError.unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        } else if let query = request.uri.queryParameters.get("access_token") {
            token = query
        } else {
            throw APIError.unauthorized("a bearer token is required")
        }
        guard let caller = await tokens.verify(token) else {
            throw APIError.unauthorized("the token is malformed, wrongly signed or expired")
        }
        return caller
    }
}
