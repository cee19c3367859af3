/// The chat room aggregate: pure `evolve` and decide functions over ``RoomState``.
///
/// The caller loads the stream, folds it with ``evolve(_:_:version:)``, calls a decide
/// function and appends the result with the stream version it read as the expected version;
/// a concurrent writer makes the append fail and the caller retries from a fresh fold.
/// Decide functions are in `Room+Commands.swift`.
public enum Room {
    /// Applies one event of a room stream.
    ///
    /// - Parameters:
    ///   - state: The state before the event; nil when the stream has no events yet.
    ///   - event: The event at `version`.
    ///   - version: The event's 1-based version in the stream.
    /// - Returns: The state after the event. Events that do not apply (another aggregate's, a
    ///   second `room_created`, anything before the first) leave the state as it is: a fold
    ///   never fails on a log that was valid when written.
    public static func evolve(_ state: RoomState?, _ event: DomainEvent, version: Int64) -> RoomState? {
        switch (state, event) {
        case (nil, .roomCreated(let e)):
            return RoomState(roomId: e.roomId, name: e.name, visibility: e.visibility, createdBy: e.createdBy, members: [:])
        case (var state?, .memberJoined(let e)):
            // Keep the first join while a member: a duplicate join is never decided, but the
            // version clients are told about must stay the one that made them a member.
            if state.members[e.user] == nil { state.members[e.user] = version }
            return state
        case (var state?, .memberLeft(let e)):
            state.members[e.user] = nil
            return state
        default:
            // message_posted changes nothing the aggregate decides on.
            return state
        }
    }

    /// Whether `user` may read the room's events and messages: anyone for a public room,
    /// members only for a private one.
    public static func canRead(_ state: RoomState, user: String) -> Bool {
        state.visibility == .public || state.isMember(user)
    }
}
