import PostgresNIO

/// An error as a log line may show it.
///
/// PostgreSQL's own error fields can quote the values of the statement that failed: the message
/// of `22P02` names the bad input, a unique violation's detail names the key, `where` quotes the
/// JSON it could not parse. Those are users' message texts, idempotency keys and ids, which do
/// not belong in logs. PostgresNIO already masks bind values; this keeps only the fields that
/// say what failed and where (SQLSTATE, severity, schema object, server routine), never the
/// message, detail, hint, context or query. Other errors are shown as they describe themselves.
public struct LoggableError: CustomStringConvertible, Sendable {
    public let description: String

    public init(_ error: any Error) {
        guard let error = error as? PSQLError else {
            description = String(reflecting: error)
            return
        }
        var parts = ["code: \(error.code)"]
        if let info = error.serverInfo {
            let fields: [(String, PSQLError.ServerInfo.Field)] = [
                ("sqlstate", .sqlState), ("severity", .localizedSeverity), ("schema", .schemaName),
                ("table", .tableName), ("column", .columnName), ("constraint", .constraintName),
                ("type", .dataTypeName), ("routine", .routine),
            ]
            for (name, field) in fields {
                if let value = info[field] { parts.append("\(name): \(value)") }
            }
        }
        if let underlying = error.underlying { parts.append("underlying: \(String(reflecting: underlying))") }
        description = "PSQLError(\(parts.joined(separator: ", ")))"
    }
}
