/// One invalid field of a request body, as it is reported to the client.
///
/// Serialised as `{"field": …, "message": …}` in the `errors` array of a
/// `validation_failed` problem response (contract §4).
public struct FieldError: Sendable, Equatable, Codable {
    /// The JSON path the client sent, e.g. `text` or `items[2].quantity` (indices are 0-based).
    public let field: String
    /// What is wrong, phrased to follow the field name: "is required", "must be a string".
    public let message: String

    /// Creates a field error.
    /// - Parameters:
    ///   - field: The JSON path of the offending field.
    ///   - message: A short, client-safe explanation.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
