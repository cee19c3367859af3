/// `POST /v1/rooms/{room_id}/messages` (and the WebSocket `post` frame): post a message.
public struct PostMessage: Sendable, Equatable {
    /// The text, trimmed of leading and trailing white space and newlines.
    public let text: String
    /// The client's id for this message, used to recognise a retried post; nil when the
    /// client sent none (the API then generates one).
    public let clientMsgId: String?

    /// Validates a body `{"text", "client_msg_id"?}`.
    ///
    /// - `text` is trimmed, then must have 1–4000 characters counted as grapheme clusters
    ///   (Swift's `String.count`, contract §4): an emoji with modifiers counts as one.
    ///   White space inside the text, newlines included, is kept.
    /// - `client_msg_id` (our decision, the contract gives no rule) is 1–128 printable ASCII
    ///   characters, like an idempotency key: it plays the same role and is stored and echoed,
    ///   so control characters and unbounded lengths have no place in it.
    /// - Throws: Every invalid field of the body.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        let text = reader.trimmedText("text", required: true, maxLength: Self.maxTextLength)
        var clientMsgId: String?
        if let raw = reader.string("client_msg_id", required: false) {
            if PrintableASCII.isValid(raw, maxLength: Self.maxClientMsgIdLength) {
                clientMsgId = raw
            } else {
                reader.fail("client_msg_id", "must be 1-\(Self.maxClientMsgIdLength) printable ASCII characters")
            }
        }
        guard reader.errors.isEmpty, let text else { throw reader.failure }
        self.text = text
        self.clientMsgId = clientMsgId
    }

    /// The longest message text, in grapheme clusters after trimming.
    public static let maxTextLength = 4000
    /// The longest `client_msg_id`, in ASCII characters.
    public static let maxClientMsgIdLength = 128
}
