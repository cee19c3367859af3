/// `POST /v1/rooms/{room_id}/members`: a member adds another user to the room.
public struct AddMember: Sendable, Equatable {
    /// The user to add, an identifier. Whether such a user exists is not checked: users are
    /// whoever holds a valid token, there is no user registry to consult.
    public let user: String

    /// Validates a body `{"user"}`.
    /// - Throws: A field error when `user` is missing or not an identifier.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        let user = reader.identifier("user", required: true)
        guard reader.errors.isEmpty, let user else { throw reader.failure }
        self.user = user
    }
}
