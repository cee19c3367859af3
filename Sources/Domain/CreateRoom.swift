/// `POST /v1/rooms`: create a chat room. Always valid once constructed.
public struct CreateRoom: Sendable, Equatable {
    /// The new room's id, an identifier.
    public let roomId: String
    /// The display name, trimmed; the room id when the body has none.
    public let name: String
    /// `public` unless the body says otherwise.
    public let visibility: Visibility

    /// Validates a body `{"room_id", "name"?, "visibility"?}`.
    ///
    /// Decisions where the contract is silent:
    /// - `name` is optional and defaults to `room_id`, so every room has something to display;
    ///   when given it must have 1–100 characters (grapheme clusters) after trimming white
    ///   space, and the trimmed form is stored. A blank name is an error, not a request for
    ///   the default: it is more likely a client bug than an intention.
    /// - `visibility` is exactly `"public"` or `"private"` (case-sensitive, like every enum of
    ///   the contract).
    /// - Throws: Every invalid field of the body.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        let roomId = reader.identifier("room_id", required: true)
        let name = reader.trimmedText("name", required: false, maxLength: Self.maxNameLength)
        var visibility = Visibility.public
        if let raw = reader.string("visibility", required: false) {
            if let parsed = Visibility(rawValue: raw) {
                visibility = parsed
            } else {
                reader.fail("visibility", #"must be "public" or "private""#)
            }
        }
        guard reader.errors.isEmpty, let roomId else { throw reader.failure }
        self.roomId = roomId
        self.name = name ?? roomId
        self.visibility = visibility
    }

    /// The longest room name, in characters after trimming.
    public static let maxNameLength = 100
}
