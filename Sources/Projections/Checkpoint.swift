import Logging
import PostgresNIO

/// A named position in the log, stored in `checkpoints` in the same transaction as the work
/// done up to it, so that work happens exactly once.
struct Checkpoint: Sendable {
    let name: String
    /// Advisory lock (class 7410) that lets one process at a time advance this checkpoint.
    let lockKey: Int32

    /// Locks the checkpoint for the rest of the transaction and reads it. Takes no transaction id.
    func lockAndRead(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.query("SELECT pg_advisory_xact_lock(7410, \(lockKey))", logger: logger)
        let rows = try await connection.query(
            "SELECT position FROM checkpoints WHERE name = \(name)", logger: logger
        )
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }

    func store(_ position: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO checkpoints (name, position) VALUES (\(name), \(position))
            ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position
            """,
            logger: logger
        )
    }

    /// The stored position, read without locking.
    func read(client: PostgresClient, logger: Logger) async throws -> Int64 {
        let rows = try await client.query("SELECT position FROM checkpoints WHERE name = \(name)", logger: logger)
        for try await position in rows.decode(Int64.self) { return position }
        return 0
    }
}
