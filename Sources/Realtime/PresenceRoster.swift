/// Who is online in which room, as one server process knows it (contract section 9), and what
/// its subscribers must be told. Pure: the ``Hub`` keeps it under its lock, ``PresenceService``
/// does the I/O (the shared table, notifications) and calls ``flush()`` on a timer.
///
/// A user is present in a room while one of their connections is subscribed to it, on this
/// process (*local*, known exactly) or on another (*remote*, read from the shared table).
/// Changes are not sent as they happen: ``flush()`` turns everything since the last flush into
/// one `presence_diff` per room, so a thousand users connecting at once cost each subscriber a
/// few frames, not a thousand.
struct PresenceRoster {
    /// One frame for one connection.
    struct Send: Equatable {
        var connection: ConnectionID
        var message: PresenceMessage
    }

    /// A room's presence row to write to (or delete from) the shared table.
    struct Row: Hashable {
        var room: String
        var user: String
    }

    private struct Room {
        /// Local connections subscribed to the room, and their users.
        var members: [ConnectionID: String] = [:]
        /// Members that have not been sent the full list yet (joined since the last flush).
        var awaiting: Set<ConnectionID> = []
        /// Users present through other processes; nil until read from the shared table.
        var remote: Set<String>?
        /// What the room's subscribers were last told (nil: nothing yet).
        var sent: Set<String>?

        var localUsers: Set<String> { Set(members.values) }
        func connections(of user: String) -> Int { members.values.lazy.filter { $0 == user }.count }
    }

    private var rooms: [String: Room] = [:]
    private var roomsOf: [ConnectionID: Set<String>] = [:]
    /// Local (room, user) pairs that started or stopped being present since the last
    /// ``takeWrites()``: true = present now.
    private var writes: [Row: Bool] = [:]
    /// Rooms whose presence may have changed since the last flush.
    private var changed: Set<String> = []

    // MARK: Local connections

    /// `connection` of `user` is now subscribed to `room` (after its `caught_up`). Its first
    /// presence frame is the full list, at the next flush.
    mutating func join(_ connection: ConnectionID, user: String, room id: String) {
        var room = rooms[id] ?? Room()
        changed.insert(id)
        guard room.members[connection] == nil else {
            // Subscribed afresh: the new subscription gets the full list too.
            room.awaiting.insert(connection)
            rooms[id] = room
            return
        }
        if room.connections(of: user) == 0 { writes[Row(room: id, user: user)] = true }
        room.members[connection] = user
        room.awaiting.insert(connection)
        rooms[id] = room
        roomsOf[connection, default: []].insert(id)
    }

    /// `connection` no longer follows `room` (unsubscribed, revoked, closed).
    mutating func leave(_ connection: ConnectionID, room id: String) {
        guard var room = rooms[id], let user = room.members.removeValue(forKey: connection) else { return }
        room.awaiting.remove(connection)
        if room.connections(of: user) == 0 { writes[Row(room: id, user: user)] = false }
        rooms[id] = room
        roomsOf[connection]?.remove(id)
        if roomsOf[connection]?.isEmpty == true { roomsOf[connection] = nil }
        changed.insert(id)
    }

    /// `connection` is gone: it leaves every room.
    mutating func disconnect(_ connection: ConnectionID) {
        for room in roomsOf[connection] ?? [] { leave(connection, room: room) }
    }

    /// The rooms `connection` counts in.
    func rooms(of connection: ConnectionID) -> Set<String> { roomsOf[connection] ?? [] }

    // MARK: The shared table

    /// The local changes to write since the last call, net (a join and a leave within one
    /// flush cancel out to the leave).
    mutating func takeWrites() -> (present: [Row], absent: [Row]) {
        defer { writes = [:] }
        return (writes.filter(\.value).map(\.key), writes.filter { !$0.value }.map(\.key))
    }

    /// Every local (room, user) pair: what the shared table must hold for this process after it
    /// lost its rows (it was taken for dead).
    var localRows: [Row] {
        rooms.flatMap { id, room in room.localUsers.map { Row(room: id, user: $0) } }
    }

    /// Rooms with local subscribers whose remote users must be read before the next flush.
    var roomsToRead: Set<String> {
        Set(rooms.filter { $0.value.remote == nil && !$0.value.members.isEmpty }.keys)
    }

    /// Another process changed these rooms (nil: any room, e.g. a process was found dead): read
    /// them again before the next flush.
    mutating func remoteChanged(_ ids: Set<String>?) {
        for id in ids ?? Set(rooms.keys) where rooms[id] != nil {
            rooms[id]?.remote = nil
        }
    }

    /// The users other processes have present in `ids` (a room missing from `users` has none).
    mutating func setRemote(_ users: [String: Set<String>], for ids: Set<String>) {
        for id in ids where rooms[id] != nil {
            if rooms[id]?.remote != users[id, default: []] { changed.insert(id) }
            rooms[id]?.remote = users[id, default: []]
        }
    }

    // MARK: Telling subscribers

    /// Local users present in the room.
    func localUsers(in id: String) -> Set<String> { rooms[id]?.localUsers ?? [] }

    /// The frames for everything since the last flush: to each new subscriber the full list, to
    /// the others one diff per changed room. A room whose remote users are not read yet waits.
    mutating func flush() -> [Send] {
        var sends: [Send] = []
        for id in changed {
            guard var room = rooms[id] else { continue }
            if room.members.isEmpty {
                rooms[id] = nil  // nobody here to tell: forget the room (and its remote users)
                continue
            }
            guard let remote = room.remote else { continue }
            let present = room.localUsers.union(remote)
            if let sent = room.sent, sent != present {
                let diff = PresenceMessage.diff(room: id, joins: present.subtracting(sent).sorted(), leaves: sent.subtracting(present).sorted())
                for connection in room.members.keys where !room.awaiting.contains(connection) {
                    sends.append(Send(connection: connection, message: diff))
                }
            }
            for connection in room.awaiting {
                sends.append(Send(connection: connection, message: .list(room: id, users: present.sorted())))
            }
            room.awaiting = []
            room.sent = present
            rooms[id] = room
        }
        changed = changed.filter { rooms[$0]?.remote == nil && rooms[$0] != nil }
        return sends
    }
}

/// A presence frame (contract section 9).
public enum PresenceMessage: Equatable, Sendable {
    /// Everyone present, sent once to a new subscriber.
    case list(room: String, users: [String])
    /// Who came and who went since the last frame.
    case diff(room: String, joins: [String], leaves: [String])
}

extension PresenceMessage {
    /// The frame's `type`, also the SSE `event:` name.
    public var frameType: String {
        switch self {
        case .list: "presence"
        case .diff: "presence_diff"
        }
    }
}
