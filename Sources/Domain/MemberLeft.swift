/// `chat.member_left`: a member left a room.
public struct MemberLeft: EventData {
    /// The contract type name.
    public static let eventType = "chat.member_left"

    /// The room.
    public var roomId: String
    /// The user who left.
    public var user: String

    /// Creates the event data.
    public init(roomId: String, user: String) {
        self.roomId = roomId
        self.user = user
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case user
    }
}
