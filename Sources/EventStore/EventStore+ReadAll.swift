import Logging
import PostgresNIO

extension EventStore {
    /// Events after a global position, in position order, never skipping one that a concurrent
    /// transaction commits later (see ``ReadAllPage``).
    /// - Parameter types: only events of these types (nil: all). The page still says how far the
    ///   read looked (``ReadAllPage/coveredUpTo``), so a reader of a rare type can move past the rest.
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
        let rows = try await connection.execute(
            ReadAllStatement(after: position, limit: limit, types: types), logger: logger
        )
        return try await page(from: rows, after: position, limit: limit)
    }

    /// The newest position a reader can safely have seen: every event at or below it is final.
    public func safeHeadPosition() async throws -> Int64 {
        try await client.execute(SafeHeadStatement(), logger: logger).first ?? 0
    }

    /// The newest event id in the store, final or not (0 when empty): an id a client may have
    /// been sent by any process is at most this.
    public func newestPosition() async throws -> Int64 {
        try await client.execute(NewestPositionStatement(), logger: logger).first ?? 0
    }

    private static func page<Rows: AsyncSequence>(from rows: Rows, after: Int64, limit: Int) async throws -> ReadAllPage
    where Rows.Element == ReadAllStatement.Row {
        var events: [RecordedEvent] = []
        var safeHead: Int64?
        var pending = false
        for try await (head, hasPending, position, stream, version, type, occurredAt, data, metadata) in rows {
            safeHead = head
            pending = hasPending
            guard let position, let stream, let version, let type, let occurredAt, let data, let metadata else { continue }
            events.append(RecordedEvent(
                position: position, streamName: stream, version: version, type: type,
                occurredAt: occurredAt, data: data, metadata: metadata
            ))
        }
        // A full page covers up to its last event; a short one up to the safe head (the statement
        // computes it only then), never behind where the read started.
        let covered = events.count == limit ? (events.last?.position ?? after) : max(after, safeHead ?? after)
        return ReadAllPage(events: events, coveredUpTo: covered, hasPendingCommits: pending)
    }
}

/// A page of the global log.
public struct ReadAllPage: Sendable {
    public var events: [RecordedEvent]
    /// The highest position up to which the read saw every final event it asked for: the last
    /// event's position when the page is full, else the safe head. A reader that filters by type
    /// may store this as its checkpoint even when the page is empty: no matching event can appear
    /// at or below it later.
    public var coveredUpTo: Int64
    /// Committed events exist past this page that are not yet safe to read because an older
    /// transaction is still open. The reader should ask again shortly instead of waiting for the
    /// next doorbell, which that older transaction may never ring (a projector, say).
    public var hasPendingCommits: Bool

    public init(events: [RecordedEvent], coveredUpTo: Int64, hasPendingCommits: Bool) {
        self.events = events
        self.coveredUpTo = coveredUpTo
        self.hasPendingCommits = hasPendingCommits
    }
}
