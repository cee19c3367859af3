import Logging
import PostgresNIO

/// Makes a store restored from `pg_dump` readable again.
///
/// Readers see an event once its `transaction_id` is below the oldest transaction still
/// running (`pg_snapshot_xmin`). Transaction ids only mean something in the cluster that
/// handed them out: restored into another cluster, whose counter is behind, the old events
/// carry ids from its future, so every reader treats them as not yet committed (`/ready`
/// shows them held, with no transaction holding them) and new events would be read past them.
///
/// Every event that the current snapshot does not show as final gets transaction id 3, the
/// first normal one: older than any transaction of any cluster. Under an EXCLUSIVE lock on
/// `events`, taken before the snapshot, no append is in flight, so only restored events (or
/// events already final) are touched. Running it again changes nothing.
public enum RestoredHistory {
    static let lock = "LOCK TABLE events IN EXCLUSIVE MODE"
    static let allowRewrite = "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete"
    static let rewrite: PostgresQuery = """
        WITH rewritten AS (
            UPDATE events SET transaction_id = '3'::xid8
            WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
            RETURNING 1
        )
        SELECT count(*) FROM rewritten
        """
    static let forbidRewrite = "ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete"

    /// Rewrites the foreign transaction ids in one transaction and returns how many events it
    /// made readable. Needs the owner of `events` (it lifts the immutability trigger for the
    /// statement, inside the transaction: nothing else can write meanwhile).
    public static func makeReadable(on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: lock), logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: allowRewrite), logger: logger)
            var rewritten = 0
            for try await count in try await connection.query(rewrite, logger: logger).decode(Int64.self) {
                rewritten = Int(count)
            }
            try await connection.query(PostgresQuery(unsafeSQL: forbidRewrite), logger: logger)
            return rewritten
        }
    }
}
