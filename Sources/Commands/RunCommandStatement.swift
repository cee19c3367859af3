import PostgresNIO

/// `run_command` (migrations/004_run_command.sql): a decided command in one statement.
struct RunCommandStatement: PostgresPreparedStatement {
    static let name = "tideline_run_command"
    static let sql = """
        SELECT outcome, first_position, last_position, last_version, event_id, status, body
        FROM run_command($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .int8, .textArray, .textArray, .textArray, .text, .int8, .text, .textArray, .text, .int4, .text,
    ]

    typealias Row = (outcome: String, firstPosition: Int64?, lastPosition: Int64?, lastVersion: Int64?, eventID: Int64?, status: Int32, body: String)

    var stream: String
    var expectedVersion: Int64
    var types: [String]
    var data: [String]
    var metadata: [String]
    var snapshot: String?
    var existingVersion: Int64?
    var idempotency: Idempotency
    var reply: CommandReply

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 12)
        bindings.append(stream)
        bindings.append(expectedVersion)
        bindings.append(types)
        bindings.append(data)
        bindings.append(metadata)
        bindings.append(snapshot)
        bindings.append(existingVersion)
        bindings.append(idempotency.caller)
        bindings.append(idempotency.scopes)
        bindings.append(idempotency.fingerprint)
        bindings.append(Int32(reply.status))
        bindings.append(reply.body)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (outcome, first, last, version, eventID, status, body) =
            try row.decode((String, Int64?, Int64?, Int64?, Int64?, Int32, String).self)
        return (outcome, first, last, version, eventID, status, body)
    }
}

/// The stored reply to an earlier command under any of these scopes (for a command refused on
/// the state it found: was it refused because it had already been done?).
struct StoredReplyStatement: PostgresPreparedStatement {
    static let name = "tideline_stored_reply"
    static let sql = """
        SELECT scope, coalesce(fingerprint = md5($3), true), status, body
        FROM command_responses
        WHERE caller = $1 AND scope = ANY($2) AND (expires_at IS NULL OR expires_at > now())
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .textArray, .text]

    typealias Row = (scope: String, sameRequest: Bool, status: Int32, body: String)

    var idempotency: Idempotency

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(idempotency.caller)
        bindings.append(idempotency.scopes)
        bindings.append(idempotency.fingerprint)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (scope, sameRequest, status, body) = try row.decode((String, Bool, Int32, String).self)
        return (scope, sameRequest, status, body)
    }
}
