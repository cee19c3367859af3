/// `chat.member_joined`: a user became a member of a room, by joining or by being added.
public struct MemberJoined: EventData {
    /// The contract type name.
    public static let eventType = "chat.member_joined"

    /// The room.
    public var roomId: String
    /// The new member.
    public var user: String
    /// Who made them a member: the user themselves when they joined or created the room.
    public var addedBy: String

    /// Creates the event data.
    public init(roomId: String, user: String, addedBy: String) {
        self.roomId = roomId
        self.user = user
        self.addedBy = addedBy
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case user
        case addedBy = "added_by"
    }
}
