import PostgresNIO

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
