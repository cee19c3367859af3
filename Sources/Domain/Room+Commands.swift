extension Room {
    /// Creates a room; its creator becomes the first member.
    ///
    /// - Returns: `chat.room_created` then the creator's `chat.member_joined`.
    /// - Throws: `.conflict` when the room exists (room ids are not secret, contract §4).
    public static func create(_ c: CreateRoom, actor: String, state: RoomState?) throws(DomainRejection) -> [DomainEvent] {
        guard state == nil else { throw .conflict("room \(c.roomId) already exists") }
        return [
            .roomCreated(RoomCreated(roomId: c.roomId, name: c.name, visibility: c.visibility, createdBy: actor)),
            .memberJoined(MemberJoined(roomId: c.roomId, user: actor, addedBy: actor)),
        ]
    }

    /// The actor joins a room.
    ///
    /// - Returns: `.unchanged` with the version of the actor's join when already a member
    ///   (contract: 200, nothing appended), else their `chat.member_joined`.
    /// - Throws: `.notFound` for a missing room; `.forbidden` for a private room the actor is
    ///   not in (only members can add others to it).
    public static func join(roomId: String, actor: String, state: RoomState?) throws(DomainRejection) -> Decision {
        let room = try existing(state, roomId: roomId)
        if let version = room.members[actor] { return .unchanged(existingVersion: version) }
        guard room.visibility == .public else { throw .forbidden("room \(roomId) is private") }
        return .append([.memberJoined(MemberJoined(roomId: roomId, user: actor, addedBy: actor))])
    }

    /// The actor leaves a room.
    ///
    /// Leaving a room one is not in is an error rather than a no-op: there is no event whose
    /// id the response could carry.
    /// - Throws: `.notFound` for a missing room; `.forbidden` when the actor is not a member.
    public static func leave(roomId: String, actor: String, state: RoomState?) throws(DomainRejection) -> [DomainEvent] {
        let room = try member(actor, of: state, roomId: roomId)
        return [.memberLeft(MemberLeft(roomId: room.roomId, user: actor))]
    }

    /// A member adds another user to the room (the way into a private room).
    ///
    /// - Returns: `.unchanged` with the version of the target's join when they are already a
    ///   member, else their `chat.member_joined` with `added_by` = the actor.
    /// - Throws: `.notFound` for a missing room; `.forbidden` when the actor is not a member.
    public static func addMember(
        _ c: AddMember, roomId: String, actor: String, state: RoomState?
    ) throws(DomainRejection) -> Decision {
        let room = try member(actor, of: state, roomId: roomId)
        if let version = room.members[c.user] { return .unchanged(existingVersion: version) }
        return .append([.memberJoined(MemberJoined(roomId: roomId, user: c.user, addedBy: actor))])
    }

    /// A member posts a message.
    ///
    /// - Parameters:
    ///   - messageId: The id the server assigned to the message.
    ///   - clientMsgId: The client's `client_msg_id`, or one the API generated when the client
    ///     sent none; it is what the event stores. Recognising a repeated `client_msg_id` is
    ///     the API's job (it needs the message index, not this state).
    /// - Throws: `.notFound` for a missing room; `.forbidden` when the actor is not a member.
    public static func post(
        _ c: PostMessage, roomId: String, messageId: String, clientMsgId: String, actor: String, state: RoomState?
    ) throws(DomainRejection) -> [DomainEvent] {
        _ = try member(actor, of: state, roomId: roomId)
        return [
            .messagePosted(
                MessagePosted(roomId: roomId, messageId: messageId, author: actor, text: c.text, clientMsgId: clientMsgId,
                              clientMsgIdGenerated: c.clientMsgId == nil))
        ]
    }

    /// Checks that the actor may send typing signals to the room. Nothing is stored.
    /// - Throws: `.notFound` for a missing room; `.forbidden` when the actor is not a member.
    public static func checkTyping(roomId: String, actor: String, state: RoomState?) throws(DomainRejection) {
        _ = try member(actor, of: state, roomId: roomId)
    }

    private static func existing(_ state: RoomState?, roomId: String) throws(DomainRejection) -> RoomState {
        guard let state else { throw .notFound("room \(roomId) not found") }
        return state
    }

    private static func member(_ actor: String, of state: RoomState?, roomId: String) throws(DomainRejection) -> RoomState {
        let room = try existing(state, roomId: roomId)
        guard room.isMember(actor) else { throw .forbidden("not a member of this room") }
        return room
    }
}
