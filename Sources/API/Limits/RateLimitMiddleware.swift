import Hummingbird

/// Applies the per-user command limit to every POST (typing included), after authentication.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = TidelineRequestContext
    let limiter: CommandRateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .post, let caller = context.caller, let retryAfter = limiter.acquire(for: caller.user) {
            throw APIError.rateLimited(retryAfter: retryAfter)
        }
        return try await next(request, context)
    }
}
