/// `POST /v1/notifications` (staff only): send a notification to a user.
public struct SendNotification: Sendable, Equatable {
    /// The recipient, an identifier.
    public let userId: String
    /// The kind of notification, an identifier (e.g. `announcement`), so clients can switch on it.
    public let kind: String
    /// The content, trimmed.
    public let content: String

    /// Validates a body `{"user_id", "kind", "content"}`.
    ///
    /// `content` follows the rule of message text (our decision, the contract gives none):
    /// trimmed, then 1–4000 grapheme clusters.
    /// - Throws: Every invalid field of the body.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        let userId = reader.identifier("user_id", required: true)
        let kind = reader.identifier("kind", required: true)
        let content = reader.trimmedText("content", required: true, maxLength: Self.maxContentLength)
        guard reader.errors.isEmpty, let userId, let kind, let content else { throw reader.failure }
        self.userId = userId
        self.kind = kind
        self.content = content
    }

    /// The longest content, in grapheme clusters after trimming.
    public static let maxContentLength = 4000
}
