import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    ///
    /// Unlike PostgresNIO's own `withTransaction`, the body's error is rethrown as it is (not
    /// wrapped), so typed domain and store errors reach the API edge unchanged.
    public func withTransaction<Result>(
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await query("BEGIN", logger: logger)
        let result: Result
        do {
            result = try await body(self)
        } catch {
            do {
                try await query("ROLLBACK", logger: logger)
            } catch {
                logger.error("rollback failed", metadata: ["error": "\(LoggableError(error))"])
            }
            throw error
        }
        try await query("COMMIT", logger: logger)
        return result
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent, if this error came from the server.
    public var sqlState: String? { serverInfo?[.sqlState] }
}
