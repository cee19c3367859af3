import EventStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Deletes the replies kept for `Idempotency-Key` retries once their 24 hours are over.
///
/// `run_command` already ignores an expired reply; without this, the rows would stay for good
/// and `command_responses` would grow with every keyed command ever sent. Replies kept for a
/// `client_msg_id` have no expiry and are never purged (a retried message must stay a no-op).
/// Every server process runs one; they share the work through `SKIP LOCKED`, and each batch is
/// a short transaction of its own, so a purge never holds up commands.
public struct ExpiredRepliesPurger: Service {
    let client: DatabasePool
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(client: DatabasePool, interval: Duration = .seconds(600), batchSize: Int = 1000, logger: Logger) {
        self.client = client
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await purgeExpired()
                    if purged > 0 { logger.info("purged expired idempotency replies", metadata: ["rows": "\(purged)"]) }
                } catch {
                    // Nothing is lost by waiting for the next round; the database may be restarting.
                    logger.warning("could not purge expired idempotency replies", metadata: ["error": "\(LoggableError(error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    /// Deletes every expired reply, a batch at a time, and returns how many went.
    @discardableResult
    public func purgeExpired() async throws -> Int {
        var total = 0
        while !Task.isCancelled {
            // Uses command_responses_expires_idx; ctid names the rows this batch locked.
            let query: PostgresQuery = """
                WITH expired AS (
                    SELECT ctid FROM command_responses
                    WHERE expires_at IS NOT NULL AND expires_at < now()
                    LIMIT \(batchSize) FOR UPDATE SKIP LOCKED
                ), gone AS (
                    DELETE FROM command_responses WHERE ctid IN (SELECT ctid FROM expired) RETURNING 1
                )
                SELECT count(*) FROM gone
                """
            let deleted = try await client.withConnection { connection in
                var deleted = 0
                for try await count in try await connection.query(query, logger: logger).decode(Int64.self) { deleted = Int(count) }
                return deleted
            }
            total += deleted
            if deleted < batchSize { break }
        }
        return total
    }
}
