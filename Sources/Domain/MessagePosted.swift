/// `chat.message_posted`: a member posted a message to a room.
public struct MessagePosted: EventData {
    /// The contract type name.
    public static let eventType = "chat.message_posted"

    /// The room.
    public var roomId: String
    /// The server-assigned message id.
    public var messageId: String
    /// The member who posted.
    public var author: String
    /// The text, trimmed of surrounding white space.
    public var text: String
    /// The client's id for the message, or one the server generated when the client sent none;
    /// it lets a retried post be recognised as the same message.
    public var clientMsgId: String

    /// Creates the event data.
    public init(roomId: String, messageId: String, author: String, text: String, clientMsgId: String) {
        self.roomId = roomId
        self.messageId = messageId
        self.author = author
        self.text = text
        self.clientMsgId = clientMsgId
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case messageId = "message_id"
        case author
        case text
        case clientMsgId = "client_msg_id"
    }
}
