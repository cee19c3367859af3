import PostgresNIO

// The read model's queries on rooms and messages, prepared once per connection: they serve
// every GET of the room routes.

/// Public rooms and the private rooms the user belongs to, by room id, after a room id.
struct RoomsVisibleQuery: PostgresPreparedStatement {
    static let name = "tl_rooms_visible"
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .int8]
    static let sql = """
        SELECT r.room_id, r.name, r.visibility, r.member_count, r.last_event_id, m.user_id IS NOT NULL AS member
        FROM rooms r
        LEFT JOIN room_members m ON m.room_id = r.room_id AND m.user_id = $2
        WHERE r.room_id > $1 AND (r.visibility = 'public' OR m.user_id IS NOT NULL)
        ORDER BY r.room_id
        LIMIT $3
        """
    var after: String
    var user: String
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: after, user, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> RoomRow {
        let (id, name, visibility, members, last, member) = try row.decode((String, String, String, Int, Int64, Bool).self)
        return RoomRow(roomID: id, name: name, visibility: visibility, memberCount: members, lastEventID: last, isMember: member)
    }
}

/// A room's messages after an event id, oldest first.
struct MessagesAfterQuery: PostgresPreparedStatement {
    static let name = "tl_messages_after"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8]
    static let sql = """
        SELECT event_id, message_id, author, text, \(ReadModel.occurredAt),
               CASE WHEN client_msg_id_generated THEN NULL ELSE client_msg_id END
        FROM messages
        WHERE room_id = $1 AND event_id > $2 ORDER BY event_id LIMIT $3
        """
    var room: String
    var after: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: room, after, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> MessageRow { try MessageRow(row) }
}

/// A room's messages before an event id, newest first.
struct MessagesBeforeQuery: PostgresPreparedStatement {
    static let name = "tl_messages_before"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8]
    static let sql = """
        SELECT event_id, message_id, author, text, \(ReadModel.occurredAt),
               CASE WHEN client_msg_id_generated THEN NULL ELSE client_msg_id END
        FROM messages
        WHERE room_id = $1 AND event_id < $2 ORDER BY event_id DESC LIMIT $3
        """
    var room: String
    var before: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: room, before, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> MessageRow { try MessageRow(row) }
}

/// A room's newest event id in the read model (0 when the room is not there yet).
struct RoomLastEventQuery: PostgresPreparedStatement {
    static let name = "tl_room_last_event"
    static let bindingDataTypes: [PostgresDataType] = [.text]
    static let sql = "SELECT last_event_id FROM rooms WHERE room_id = $1"
    var room: String

    func makeBindings() throws -> PostgresBindings { PostgresBindings(binding: room) }
    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}

/// Whether a room has a message before an event id (a page's `next_before`).
struct OlderMessagesQuery: PostgresPreparedStatement {
    static let name = "tl_messages_older_exist"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8]
    static let sql = "SELECT EXISTS (SELECT 1 FROM messages WHERE room_id = $1 AND event_id < $2)"
    var room: String
    var before: Int64

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: room, before)
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}

extension MessageRow {
    /// A row of the message queries above.
    init(_ row: PostgresRow) throws {
        let (eventID, messageID, author, text, occurredAt, clientMsgID) = try row.decode((Int64, String, String, String, String, String?).self)
        self.init(messageID: messageID, eventID: eventID, author: author, text: text, occurredAt: occurredAt, clientMsgID: clientMsgID)
    }
}
