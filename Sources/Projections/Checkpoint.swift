import EventStore
import Logging
import PostgresNIO

/// A named position in the log, stored in `checkpoints` in the same transaction as the work
/// done up to it, so that work happens exactly once.
struct Checkpoint: Sendable {
    let name: String
    /// Advisory lock (class 7410) that lets one process at a time advance this checkpoint.
    let lockKey: Int32

    /// Locks the checkpoint for the rest of the transaction and reads it. Takes no transaction id.
    ///
    /// Two statements on purpose: a statement reads with the snapshot it took when it started,
    /// so a read in the same statement as the lock would not see the checkpoint that the
    /// previous holder of the lock committed while we waited, and would redo its work.
    func lockAndRead(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        try await connection.run(LockStatement(key: lockKey), logger: logger)
        for try await position in try await connection.execute(ReadStatement(name: name), logger: logger) {
            return position
        }
        return 0
    }

    func store(_ position: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(StoreStatement(name: name, position: position), logger: logger)
    }

    /// Lets the current transaction commit without waiting for its WAL to reach the disk.
    ///
    /// Only for a transaction whose every write can be redone from the log: read tables with
    /// their checkpoint, or a checkpoint that only skips events with nothing to do. A crash may
    /// lose it (never half of it), and the reader then redoes that work; a later durable commit
    /// flushes it anyway, since the WAL is written in order. What it saves is an fsync wait per
    /// wake-up, and the share of the disk's flushes that commands would otherwise wait behind.
    static func commitWithoutWaitingForDisk(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(AsynchronousCommitStatement(), logger: logger)
    }

    struct AsynchronousCommitStatement: PostgresPreparedStatement {
        static let name = "tl_asynchronous_commit"
        static let bindingDataTypes: [PostgresDataType] = []
        static let sql = "SELECT set_config('synchronous_commit', 'off', true)"
        typealias Row = Void

        func makeBindings() throws -> PostgresBindings { PostgresBindings() }
        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct LockStatement: PostgresPreparedStatement {
        static let name = "tl_checkpoint_lock"
        static let bindingDataTypes: [PostgresDataType] = [.int4]
        static let sql = "SELECT pg_advisory_xact_lock(7410, $1)"
        typealias Row = Void
        var key: Int32

        func makeBindings() throws -> PostgresBindings {
            PostgresBindings(binding: key)
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    struct ReadStatement: PostgresPreparedStatement {
        static let name = "tl_checkpoint_read"
        static let bindingDataTypes: [PostgresDataType] = [.text]
        static let sql = "SELECT position FROM checkpoints WHERE name = $1"
        typealias Row = Int64
        var name: String

        func makeBindings() throws -> PostgresBindings {
            PostgresBindings(binding: name)
        }

        func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
    }

    struct StoreStatement: PostgresPreparedStatement {
        static let name = "tl_checkpoint_store"
        static let bindingDataTypes: [PostgresDataType] = [.text, .int8]
        static let sql = """
            INSERT INTO checkpoints (name, position) VALUES ($1, $2)
            ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position
            """
        typealias Row = Void
        var name: String
        var position: Int64

        func makeBindings() throws -> PostgresBindings {
            PostgresBindings(binding: name, position)
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
