import Logging
import Metrics
import PostgresNIO
import Synchronization

/// A pool of PostgreSQL connections whose use shows in `/metrics`:
/// `tideline_db_connections_in_use{pool}`, `tideline_db_connection_waiters{pool}` (callers
/// waiting for a connection: the pool is exhausted) and `tideline_db_connection_wait_seconds{pool}`.
///
/// PostgresNIO's own pool observer is internal, so every lease goes through this type, and a
/// query's rows are read while the connection is still leased (PostgresClient's `execute` would
/// hand the connection back only once the caller finished the rows, out of sight).
public struct DatabasePool: Sendable {
    public let client: PostgresClient
    private let usage: Usage

    /// - Parameter name: the `pool` label of the metrics.
    public init(_ client: PostgresClient, name: String = "main") {
        self.client = client
        self.usage = Usage(pool: name)
    }

    /// Runs `body` on a connection of the pool, waiting for one if all are in use.
    public func withConnection<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let asked = ContinuousClock.now
        usage.startedWaiting()
        var leased = false
        defer { usage.finished(leased: leased) }
        return try await client.withConnection { connection in
            leased = true
            usage.leased(after: ContinuousClock.now - asked)
            return try await body(connection)
        }
    }

    /// Every row of a prepared statement.
    public func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        try await withConnection { connection in try await connection.rows(of: statement, logger: logger) }
    }

    /// Runs a query whose rows do not matter (`pg_notify`, say).
    public func run(_ query: PostgresQuery, logger: Logger) async throws {
        try await withConnection { connection in
            _ = try await connection.query(query, logger: logger)
        }
    }

    /// The gauges of one pool, kept as counts under a lock so that they never go backwards out
    /// of order.
    private final class Usage: Sendable {
        private let counts = Mutex<(inUse: Int, waiting: Int)>((0, 0))
        private let inUse: Gauge
        private let waiters: Gauge
        private let waits: Metrics.Timer

        init(pool: String) {
            inUse = Gauge(label: "tideline_db_connections_in_use", dimensions: [("pool", pool)])
            waiters = Gauge(label: "tideline_db_connection_waiters", dimensions: [("pool", pool)])
            waits = Metrics.Timer(label: "tideline_db_connection_wait_seconds", dimensions: [("pool", pool)], preferredDisplayUnit: .seconds)
        }

        func startedWaiting() {
            counts.withLock { counts in
                counts.waiting += 1
                waiters.record(counts.waiting)
            }
        }

        func leased(after wait: Duration) {
            counts.withLock { counts in
                counts.waiting -= 1
                counts.inUse += 1
                waiters.record(counts.waiting)
                inUse.record(counts.inUse)
            }
            waits.record(duration: wait)
        }

        func finished(leased: Bool) {
            counts.withLock { counts in
                if leased {
                    counts.inUse -= 1
                    inUse.record(counts.inUse)
                } else {
                    counts.waiting -= 1  // the lease failed or was cancelled while waiting
                    waiters.record(counts.waiting)
                }
            }
        }
    }
}

extension PostgresConnection {
    /// Every row of a prepared statement, read to the end.
    public func rows<Statement: PostgresPreparedStatement>(of statement: Statement, logger: Logger) async throws -> [Statement.Row] {
        var rows: [Statement.Row] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}
