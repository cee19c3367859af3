import PostgresNIO

/// One page of the global log and, when the page is not full, how far the read got: the whole
/// answer of ``EventStore/readAll(after:limit:types:on:logger:)`` in one statement, so the page,
/// the safe head and the pending check all see the same snapshot (and cost one round trip).
///
/// Only events of transactions older than the oldest one still running (xid < xmin) are final.
/// The sequencer hands out positions in transaction-id order, so every position at or below the
/// highest final one (the safe head) is final too: a read that is not full has seen every
/// matching event up to the safe head, whatever its type filter let through.
///
/// Every row carries the two summary columns; a read that finds no event still returns one row,
/// with NULL event columns (the LEFT JOIN below).
struct ReadAllStatement: PostgresPreparedStatement {
    static let name = "tl_read_all"
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .textArray]
    static let sql = """
        WITH horizon AS MATERIALIZED (
            SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
        ), page AS MATERIALIZED (
            SELECT \(EventStore.columns) FROM events
            WHERE position > $1
              AND transaction_id < (SELECT xmin FROM horizon)
              AND ($3::text[] IS NULL OR type = ANY($3::text[]))
            ORDER BY position LIMIT $2
        ), summary AS MATERIALIZED (
            -- A full page says nothing past its last event; only a short one needs the safe head
            -- (CASE evaluates the max only then: a backward index scan from the top).
            SELECT CASE WHEN (SELECT count(*) FROM page) < $2 THEN
                (SELECT coalesce(max(position), 0) FROM events WHERE transaction_id < (SELECT xmin FROM horizon))
            END AS safe_head
        )
        SELECT s.safe_head,
               -- Pending: a committed event past the safe head, necessarily of a transaction not
               -- yet final (positions follow transaction ids). So the top of the index answers,
               -- in one probe; a filter on transaction_id here made the planner scan the table.
               s.safe_head IS NOT NULL
                   AND coalesce((SELECT max(position) FROM events), 0) > greatest($1, s.safe_head) AS pending,
               p.*
        FROM summary s LEFT JOIN page p ON true
        ORDER BY p.position
        """
    typealias Row = (Int64?, Bool, Int64?, String?, Int64?, String?, String?, String?, String?)

    var after: Int64
    var limit: Int
    var types: [String]?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(after)
        bindings.append(Int64(limit))
        bindings.append(types)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The newest position a reader can safely have seen (see ``ReadAllStatement``).
struct SafeHeadStatement: PostgresPreparedStatement {
    static let name = "tl_safe_head"
    static let sql = """
        SELECT coalesce(max(position), 0) FROM events
        WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        """
    typealias Row = Int64

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The newest event id committed so far (a read of the primary key's last entry).
struct NewestPositionStatement: PostgresPreparedStatement {
    static let name = "tl_newest_position"
    static let sql = "SELECT coalesce(max(position), 0) FROM events"
    typealias Row = Int64

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
