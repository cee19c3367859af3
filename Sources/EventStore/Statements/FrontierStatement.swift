import PostgresNIO

/// Where the readers' frontier stands and what holds it: the safe head (see
/// ``ReadAllStatement``), the committed events past it that no reader may see yet, how long the
/// oldest of them has waited, and the oldest transaction in the cluster that holds a
/// transaction id (the one `pg_snapshot_xmin` points at). Another user's transaction shows
/// only to a role with `pg_read_all_stats` (or a superuser); the held events always show.
struct FrontierStatement: PostgresPreparedStatement {
    static let name = "tl_frontier"
    static let sql = """
        WITH horizon AS MATERIALIZED (
            SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin
        ), head AS MATERIALIZED (
            SELECT coalesce(max(position), 0) AS safe FROM events WHERE transaction_id < (SELECT xmin FROM horizon)
        ), held AS MATERIALIZED (
            SELECT count(*) AS events, min(occurred_at) AS oldest FROM events WHERE position > (SELECT safe FROM head)
        ), holder AS MATERIALIZED (
            SELECT pid, coalesce(application_name, '') AS application_name, coalesce(state, '') AS state,
                   coalesce(datname, '') AS database,
                   extract(epoch FROM clock_timestamp() - xact_start)::float8 AS seconds
            FROM pg_stat_activity
            WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
            ORDER BY age(backend_xid) DESC LIMIT 1
        )
        SELECT head.safe, held.events,
               coalesce(extract(epoch FROM clock_timestamp() - held.oldest)::float8, 0),
               holder.pid, holder.application_name, holder.state, holder.database, holder.seconds
        FROM head CROSS JOIN held LEFT JOIN holder ON true
        """
    typealias Row = (Int64, Int64, Double, Int32?, String?, String?, String?, Double?)

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// How far each checkpointed reader (the read-model projector, the order reactor) is behind the
/// safe head: in positions, and as the age of the oldest final event it has not handled yet.
struct CheckpointLagStatement: PostgresPreparedStatement {
    static let name = "tl_checkpoint_lag"
    static let sql = """
        WITH head AS MATERIALIZED (
            SELECT coalesce(max(position), 0) AS safe FROM events
            WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
        )
        SELECT c.name, greatest(head.safe - c.position, 0),
               coalesce(extract(epoch FROM clock_timestamp() - (
                   SELECT e.occurred_at FROM events e
                   WHERE e.position > c.position AND e.position <= head.safe
                   ORDER BY e.position LIMIT 1
               ))::float8, 0)
        FROM checkpoints c CROSS JOIN head
        ORDER BY c.name
        """
    typealias Row = (String, Int64, Double)

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
