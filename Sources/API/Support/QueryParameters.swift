import Hummingbird

/// Parsing of query and path values, with errors a client can act on.
enum QueryParameters {
    /// An event id: a decimal string of a non-negative integer.
    static func eventID(_ raw: String, field: String) throws -> Int64 {
        guard let value = Int64(raw), value >= 0 else {
            throw APIError.validation(field: field, "must be an event id (a non-negative integer)")
        }
        return value
    }

    static func optionalEventID(_ request: Request, _ name: String) throws -> Int64? {
        try request.uri.queryParameters.get(name).map { try eventID($0, field: name) }
    }

    /// `limit` within `range`, `defaultValue` when absent.
    static func limit(_ request: Request, range: ClosedRange<Int>, defaultValue: Int) throws -> Int {
        guard let raw = request.uri.queryParameters.get("limit") else { return defaultValue }
        guard let value = Int(raw), range.contains(value) else {
            throw APIError.validation(field: "limit", "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func bool(_ request: Request, _ name: String) throws -> Bool {
        switch request.uri.queryParameters.get(name) {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw APIError.validation(field: name, "must be true or false")
        }
    }
}
