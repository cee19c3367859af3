/// What the room aggregate needs to decide commands, folded from a `room-<id>` stream.
///
/// Persisted as a JSON snapshot, with snake_case keys like the events.
public struct RoomState: Codable, Sendable, Equatable {
    /// The room.
    public var roomId: String
    /// Its display name.
    public var name: String
    /// Who may read and join it.
    public var visibility: Visibility
    /// Its creator.
    public var createdBy: String
    /// The current members, each with the stream version of the `chat.member_joined` by which
    /// they are a member (a user who left and rejoined maps to the rejoin).
    public var members: [String: Int64]

    /// Creates a state.
    public init(roomId: String, name: String, visibility: Visibility, createdBy: String, members: [String: Int64]) {
        self.roomId = roomId
        self.name = name
        self.visibility = visibility
        self.createdBy = createdBy
        self.members = members
    }

    /// Whether `user` is currently a member.
    public func isMember(_ user: String) -> Bool {
        members[user] != nil
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case name
        case visibility
        case createdBy = "created_by"
        case members
    }
}
