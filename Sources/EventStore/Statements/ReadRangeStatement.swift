import PostgresNIO

/// A page of a replay: events with positions in (`after`, `upTo`] matching an ``EventFilter``.
///
/// One statement for every filter shape: empty arrays and NULLs switch the parts off, so the
/// statement is prepared once per connection. The position range drives the plan (primary key);
/// the filter is checked on the rows in that range.
struct ReadRangeStatement: PostgresPreparedStatement {
    static let name = "tl_read_range"
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8, .textArray, .textArray, .text, .text, .text, .int8]
    static let sql = """
        SELECT \(EventStore.columns) FROM events
        WHERE position > $1 AND position <= $2
          AND (stream_name = ANY($3::text[])
               OR stream_name LIKE ANY($4::text[])
               OR ($5::text IS NOT NULL AND stream_name LIKE $5::text AND data->>$6::text = $7::text))
        ORDER BY position LIMIT $8
        """
    typealias Row = RecordedEvent

    var after: Int64
    var upTo: Int64
    var filter: EventFilter
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(after)
        bindings.append(upTo)
        bindings.append(filter.streams)
        // Category `room` matches the streams `room-…`. Categories are fixed names without
        // LIKE's wildcards (`_`, `%`), unlike ids, which are never put into a pattern.
        bindings.append(filter.categories.map { "\($0)-%" })
        bindings.append(filter.categoryField.map { "\($0.category)-%" })
        bindings.append(filter.categoryField?.key)
        bindings.append(filter.categoryField?.value)
        bindings.append(Int64(limit))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try EventStore.decodeEvent(row) }
}

/// A stream's version and stored snapshot, without locking.
struct StreamStateStatement: PostgresPreparedStatement {
    static let name = "tl_stream_state"
    static let bindingDataTypes: [PostgresDataType] = [.text]
    static let sql = "SELECT version, snapshot::text FROM streams WHERE stream_name = $1"
    typealias Row = (Int64, String?)

    var stream: String

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: stream)
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
