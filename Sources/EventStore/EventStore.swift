import Logging
import PostgresNIO

/// The PostgreSQL event store: appends with optimistic concurrency and gap-free reads of the log.
///
/// It knows streams, versions and positions, nothing of chat or orders. The SQL behind it lives in
/// `migrations/001_event_store.sql`, which explains why the global order is gap-free.
public struct EventStore: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: Appending

    /// Appends events to one stream in a transaction of its own.
    /// - Throws: `EventStoreError.wrongExpectedVersion` when the stream is not where the caller expects.
    @discardableResult
    public func append(
        _ events: [NewEvent],
        to stream: String,
        expectedVersion: ExpectedVersion,
        snapshot: String? = nil
    ) async throws -> AppendResult {
        try await client.withConnection { connection in
            try await Self.append(events, to: stream, expectedVersion: expectedVersion, snapshot: snapshot, on: connection, logger: logger)
        }
    }

    /// Appends events to one stream inside the caller's transaction on `connection`.
    ///
    /// It must be the transaction's first write and its only append (the database refuses
    /// otherwise): that is what keeps the global order gap-free.
    @discardableResult
    public static func append(
        _ events: [NewEvent],
        to stream: String,
        expectedVersion: ExpectedVersion,
        snapshot: String?,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> AppendResult {
        let types = events.map(\.type)
        let data = events.map(\.data)
        let metadata = events.map(\.metadata)
        let expected = expectedVersion.sqlValue
        do {
            let rows = try await connection.query(
                """
                SELECT first_position, last_position, last_version
                FROM append_events(\(stream), \(expected), \(types), \(data), \(metadata), \(snapshot))
                """,
                logger: logger
            )
            for try await (first, last, version) in rows.decode((Int64, Int64, Int64).self) {
                return AppendResult(firstPosition: first, lastPosition: last, lastVersion: version)
            }
            preconditionFailure("append_events returns exactly one row")
        } catch let error as PSQLError {
            switch error.sqlState {
            // TL001 is raised by append_events; 23505 on events_stream_version_key would be the
            // unique index catching what the stream lock should already have prevented.
            case "TL001", "23505":
                throw EventStoreError.wrongExpectedVersion(
                    stream: stream,
                    detail: error.serverInfo?[.detail] ?? "stream \(stream) changed concurrently"
                )
            default:
                throw error
            }
        }
    }

    /// Takes the stream's lock for the rest of the caller's transaction and returns its version
    /// (0 when the stream does not exist) and stored snapshot. Deciding a command under this lock
    /// means the append that follows never conflicts. Takes no transaction id.
    public static func lockStream(_ stream: String, on connection: PostgresConnection, logger: Logger) async throws -> StreamState {
        let rows = try await connection.query(
            "SELECT version, snapshot::text FROM lock_stream(\(stream))",
            logger: logger
        )
        for try await (version, snapshot) in rows.decode((Int64, String?).self) {
            return StreamState(version: version, snapshot: snapshot)
        }
        preconditionFailure("lock_stream returns exactly one row")
    }

    // MARK: Reading

    /// The stream's current version and snapshot, without locking (0 and nil when it does not exist).
    public func streamState(_ stream: String) async throws -> StreamState {
        let rows = try await client.query(
            "SELECT version, snapshot::text FROM streams WHERE stream_name = \(stream)",
            logger: logger
        )
        for try await (version, snapshot) in rows.decode((Int64, String?).self) {
            return StreamState(version: version, snapshot: snapshot)
        }
        return StreamState(version: 0, snapshot: nil)
    }

    /// Events of one stream with a version greater than `afterVersion`, in version order.
    public func readStream(_ stream: String, afterVersion: Int64 = 0, limit: Int = 1000) async throws -> [RecordedEvent] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: Self.columns) FROM events
            WHERE stream_name = \(stream) AND version > \(afterVersion)
            ORDER BY version LIMIT \(limit)
            """,
            logger: logger
        )
        return try await Self.collect(rows)
    }

    /// The global position of a stream's event at a given version, read on `connection` (inside
    /// a command's transaction, say); nil when the stream has no such version.
    public static func position(ofVersion version: Int64, in stream: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query(
            "SELECT position FROM events WHERE stream_name = \(stream) AND version = \(version)",
            logger: logger
        )
        for try await position in rows.decode(Int64.self) { return position }
        return nil
    }

    /// Events after a global position, in position order, never skipping one that a concurrent
    /// transaction commits later (see ``ReadAllPage``).
    public func readAll(after position: Int64, limit: Int, types: [String]? = nil) async throws -> ReadAllPage {
        try await client.withConnection { connection in
            try await Self.readAll(after: position, limit: limit, types: types, on: connection, logger: logger)
        }
    }

    /// ``readAll(after:limit:types:)`` on a given connection, e.g. inside a reader's transaction
    /// (which must not hold a transaction id yet, or it would hold back its own view).
    public static func readAll(
        after position: Int64,
        limit: Int,
        types: [String]? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> ReadAllPage {
        // Only events of transactions older than the oldest one still running (xid < xmin) are
        // final. The sequencer hands out positions in transaction-id order, so each of them is
        // below every position a running transaction holds: no later page can hold a smaller one.
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM events
            WHERE position > \(position)
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
              AND (\(types)::text[] IS NULL OR type = ANY(\(types)::text[]))
            ORDER BY position LIMIT \(limit)
            """,
            logger: logger
        )
        let events = try await collect(rows)
        if events.count == limit { return ReadAllPage(events: events, hasPendingCommits: false) }
        let last = events.last?.position ?? position
        let pending = try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM events WHERE position > \(last)
                           AND transaction_id >= pg_snapshot_xmin(pg_current_snapshot()))
            """,
            logger: logger
        )
        var hasPendingCommits = false
        for try await exists in pending.decode(Bool.self) { hasPendingCommits = exists }
        return ReadAllPage(events: events, hasPendingCommits: hasPendingCommits)
    }

    /// The newest position a reader can safely have seen: every event at or below it is final.
    public func safeHeadPosition() async throws -> Int64 {
        let rows = try await client.query(
            """
            SELECT coalesce(max(position), 0) FROM events
            WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            """,
            logger: logger
        )
        for try await head in rows.decode(Int64.self) { return head }
        return 0
    }

    static let columns = """
        position, stream_name, version, type,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), data::text, metadata::text
        """

    static func collect(_ rows: PostgresRowSequence) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for try await (position, stream, version, type, occurredAt, data, metadata)
            in rows.decode((Int64, String, Int64, String, String, String, String).self)
        {
            events.append(RecordedEvent(
                position: position, streamName: stream, version: version, type: type,
                occurredAt: occurredAt, data: data, metadata: metadata
            ))
        }
        return events
    }
}

/// A stream's current version (0 = no stream) and its stored snapshot, if any.
public struct StreamState: Sendable, Equatable {
    public var version: Int64
    public var snapshot: String?

    public init(version: Int64, snapshot: String?) {
        self.version = version
        self.snapshot = snapshot
    }
}

/// A page of the global log.
public struct ReadAllPage: Sendable {
    public var events: [RecordedEvent]
    /// Committed events exist past this page that are not yet safe to read because an older
    /// transaction is still open. The reader should ask again shortly instead of waiting for the
    /// next doorbell, which that older transaction may never ring (a projector, say).
    public var hasPendingCommits: Bool
}
