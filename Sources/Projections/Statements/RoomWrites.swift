import Domain
import PostgresNIO

// The projector's writes to rooms, room_members and messages: one statement per run of events
// of one type, their fields bound as arrays and unnested (see ``ReadModelWriter`` for why a run
// gives the same result as its events one by one). Each is given only events of its own type.

/// `chat.room_created`: the first creation of a room id wins.
struct RoomsCreatedWrite: ReadModelWrite {
    static let name = "tl_write_rooms_created"
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .textArray, .textArray, .int8Array]
    static let sql = """
        INSERT INTO rooms (room_id, name, visibility, created_by, member_count, last_event_id)
        SELECT DISTINCT ON (room_id) room_id, name, visibility, created_by, 0, position
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
            AS e(room_id, name, visibility, created_by, position)
        ORDER BY room_id, position
        ON CONFLICT (room_id) DO NOTHING
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        var rooms: [String] = [], names: [String] = [], visibilities: [String] = [], creators: [String] = []
        var positions: [Int64] = []
        for projected in events {
            guard case .roomCreated(let e) = projected.event else { continue }
            rooms.append(e.roomId)
            names.append(e.name)
            visibilities.append(e.visibility.rawValue)
            creators.append(e.createdBy)
            positions.append(projected.position)
        }
        return PostgresBindings(binding: rooms, names, visibilities, creators, positions)
    }
}

/// `chat.member_joined`: a member is added once (the first join of several wins); the room's
/// count grows by the members actually added, its `last_event_id` is the run's last event.
struct MembersJoinedWrite: ReadModelWrite {
    static let name = "tl_write_members_joined"
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .int8Array]
    static let sql = """
        WITH e AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS e(room_id, user_id, position)
        ), joined AS (
            INSERT INTO room_members (room_id, user_id, joined_event_id)
            SELECT DISTINCT ON (room_id, user_id) room_id, user_id, position FROM e
            ORDER BY room_id, user_id, position
            ON CONFLICT (room_id, user_id) DO NOTHING
            RETURNING room_id
        ), added AS (
            SELECT room_id, count(*) AS n FROM joined GROUP BY room_id
        ), touched AS (
            SELECT room_id, max(position) AS last_event_id FROM e GROUP BY room_id
        )
        UPDATE rooms r SET member_count = r.member_count + coalesce(a.n, 0), last_event_id = t.last_event_id
        FROM touched t LEFT JOIN added a ON a.room_id = t.room_id
        WHERE r.room_id = t.room_id
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        membershipBindings(events) { if case .memberJoined(let e) = $0 { (e.roomId, e.user) } else { nil } }
    }
}

/// `chat.member_left`: a member is removed once; the count shrinks by the members actually removed.
struct MembersLeftWrite: ReadModelWrite {
    static let name = "tl_write_members_left"
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .int8Array]
    static let sql = """
        WITH e AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS e(room_id, user_id, position)
        ), left_room AS (
            DELETE FROM room_members m USING e
            WHERE m.room_id = e.room_id AND m.user_id = e.user_id
            RETURNING m.room_id
        ), removed AS (
            SELECT room_id, count(*) AS n FROM left_room GROUP BY room_id
        ), touched AS (
            SELECT room_id, max(position) AS last_event_id FROM e GROUP BY room_id
        )
        UPDATE rooms r SET member_count = r.member_count - coalesce(d.n, 0), last_event_id = t.last_event_id
        FROM touched t LEFT JOIN removed d ON d.room_id = t.room_id
        WHERE r.room_id = t.room_id
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        membershipBindings(events) { if case .memberLeft(let e) = $0 { (e.roomId, e.user) } else { nil } }
    }
}

/// Rooms, users and positions of the events `membership` picks.
private func membershipBindings(
    _ events: [ProjectedEvent], _ membership: (DomainEvent) -> (room: String, user: String)?
) -> PostgresBindings {
    var rooms: [String] = [], users: [String] = [], positions: [Int64] = []
    for projected in events {
        guard let (room, user) = membership(projected.event) else { continue }
        rooms.append(room)
        users.append(user)
        positions.append(projected.position)
    }
    return PostgresBindings(binding: rooms, users, positions)
}

/// `chat.message_posted`: the messages, and each room's `last_event_id` moves to its last one.
struct MessagesPostedWrite: ReadModelWrite {
    static let name = "tl_write_messages_posted"
    static let bindingDataTypes: [PostgresDataType] = [
        .int8Array, .textArray, .textArray, .textArray, .textArray, .textArray, .textArray, .boolArray,
    ]
    static let sql = """
        WITH e AS (
            SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[])
                AS e(event_id, room_id, message_id, author, text, client_msg_id, occurred_at, client_msg_id_generated)
        ), posted AS (
            INSERT INTO messages (event_id, room_id, message_id, author, text, client_msg_id, occurred_at, client_msg_id_generated)
            SELECT event_id, room_id, message_id, author, text, client_msg_id, occurred_at::timestamptz, client_msg_id_generated FROM e
            ON CONFLICT (event_id) DO NOTHING
        )
        UPDATE rooms r SET last_event_id = t.last_event_id
        FROM (SELECT room_id, max(event_id) AS last_event_id FROM e GROUP BY room_id) t
        WHERE r.room_id = t.room_id
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        var positions: [Int64] = [], rooms: [String] = [], ids: [String] = [], authors: [String] = []
        var texts: [String] = [], clientIDs: [String] = [], times: [String] = [], generated: [Bool] = []
        for projected in events {
            guard case .messagePosted(let e) = projected.event else { continue }
            positions.append(projected.position)
            rooms.append(e.roomId)
            ids.append(e.messageId)
            authors.append(e.author)
            texts.append(e.text)
            clientIDs.append(e.clientMsgId)
            times.append(projected.occurredAt)
            generated.append(e.clientGaveNoID)
        }
        return PostgresBindings(binding: positions, rooms, ids, authors, texts, clientIDs, times, generated)
    }
}
