/// `chat.room_created`: a room came into existence. First event of `room-<room_id>`.
public struct RoomCreated: EventData {
    /// The contract type name.
    public static let eventType = "chat.room_created"

    /// The room, an identifier; the stream is `room-<room_id>`.
    public var roomId: String
    /// The display name, already trimmed; the room id when the creator gave none.
    public var name: String
    /// Who may read and join the room.
    public var visibility: Visibility
    /// The user who created the room.
    public var createdBy: String

    /// Creates the event data.
    public init(roomId: String, name: String, visibility: Visibility, createdBy: String) {
        self.roomId = roomId
        self.name = name
        self.visibility = visibility
        self.createdBy = createdBy
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case name
        case visibility
        case createdBy = "created_by"
    }
}
