import Logging
import PostgresNIO

/// The PostgreSQL event store: appends with optimistic concurrency and gap-free reads of the log.
///
/// It knows streams, versions and positions, nothing of chat or orders. The SQL behind it lives in
/// `migrations/001_event_store.sql`, which explains why the global order is gap-free.
public struct EventStore: Sendable {
    public let client: DatabasePool
    let logger: Logger

    public init(client: DatabasePool, logger: Logger) {
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
        guard let (version, snapshot) = try await client.execute(StreamStateStatement(stream: stream), logger: logger).first else {
            return StreamState(version: 0, snapshot: nil)
        }
        return StreamState(version: version, snapshot: snapshot)
    }

    /// Events of one stream with a version greater than `afterVersion`, in version order.
    public func readStream(_ stream: String, afterVersion: Int64 = 0, limit: Int = 1000) async throws -> [RecordedEvent] {
        try await client.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM events
                WHERE stream_name = \(stream) AND version > \(afterVersion)
                ORDER BY version LIMIT \(limit)
                """,
                logger: logger
            )
            return try await Self.collect(rows)
        }
    }

    static let columns = """
        position, stream_name, version, type,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), data::text, metadata::text
        """

    static func collect(_ rows: PostgresRowSequence) async throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        for try await row in rows { events.append(try decodeEvent(row)) }
        return events
    }

    /// A row of ``columns`` as an event.
    static func decodeEvent(_ row: PostgresRow) throws -> RecordedEvent {
        let (position, stream, version, type, occurredAt, data, metadata) =
            try row.decode((Int64, String, Int64, String, String, String, String).self)
        return RecordedEvent(
            position: position, streamName: stream, version: version, type: type,
            occurredAt: occurredAt, data: data, metadata: metadata
        )
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
