import Foundation

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
    /// True when the server generated ``clientMsgId`` (`client_msg_id_generated`, written only
    /// then, from issue 26 on). Events stored before say nothing: see
    /// ``isGeneratedClientMsgId(_:)``.
    public var clientMsgIdGenerated: Bool?

    /// Creates the event data.
    public init(roomId: String, messageId: String, author: String, text: String, clientMsgId: String, clientMsgIdGenerated: Bool = false) {
        self.roomId = roomId
        self.messageId = messageId
        self.author = author
        self.text = text
        self.clientMsgId = clientMsgId
        self.clientMsgIdGenerated = clientMsgIdGenerated ? true : nil
    }

    /// Whether the client gave no `client_msg_id`: the event says so, or, for an event stored
    /// before it could, the id has the exact shape the server generates (`srv-` and a
    /// lower-case UUID). Migration 008 applies the same rule to the messages already projected.
    public var clientGaveNoID: Bool {
        clientMsgIdGenerated ?? Self.isGeneratedClientMsgId(clientMsgId)
    }

    /// `srv-` followed by a lower-case UUID: what the server generated before the flag existed.
    public static func isGeneratedClientMsgId(_ id: String) -> Bool {
        guard id.hasPrefix("srv-") else { return false }
        let uuid = id.dropFirst(4)
        return uuid.count == 36 && uuid == uuid.lowercased() && UUID(uuidString: String(uuid)) != nil
    }

    enum CodingKeys: String, CodingKey {
        case roomId = "room_id"
        case messageId = "message_id"
        case author
        case text
        case clientMsgId = "client_msg_id"
        case clientMsgIdGenerated = "client_msg_id_generated"
    }
}
