import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Applies one event to the read tables. Statements tolerate a replay (ON CONFLICT DO NOTHING),
/// although the checkpoint makes replays not happen.
enum ReadModelWriter {
    static func apply(_ recorded: RecordedEvent, on connection: PostgresConnection, logger: Logger) async throws {
        // Types this build does not know are skipped: a newer server may have written them.
        guard let event = try DomainEvent.decode(type: recorded.type, data: Data(recorded.data.utf8)) else { return }
        let position = recorded.position
        let occurredAt = recorded.occurredAt
        switch event {
        case .roomCreated(let e):
            try await connection.query(
                """
                INSERT INTO rooms (room_id, name, visibility, created_by, member_count, last_event_id)
                VALUES (\(e.roomId), \(e.name), \(e.visibility.rawValue), \(e.createdBy), 0, \(position))
                ON CONFLICT (room_id) DO NOTHING
                """,
                logger: logger
            )
        case .memberJoined(let e):
            try await connection.query(
                """
                WITH joined AS (
                    INSERT INTO room_members (room_id, user_id, joined_event_id)
                    VALUES (\(e.roomId), \(e.user), \(position))
                    ON CONFLICT (room_id, user_id) DO NOTHING
                    RETURNING 1
                )
                UPDATE rooms SET member_count = member_count + (SELECT count(*) FROM joined),
                                 last_event_id = \(position)
                WHERE room_id = \(e.roomId)
                """,
                logger: logger
            )
        case .memberLeft(let e):
            try await connection.query(
                """
                WITH left_room AS (
                    DELETE FROM room_members WHERE room_id = \(e.roomId) AND user_id = \(e.user)
                    RETURNING 1
                )
                UPDATE rooms SET member_count = member_count - (SELECT count(*) FROM left_room),
                                 last_event_id = \(position)
                WHERE room_id = \(e.roomId)
                """,
                logger: logger
            )
        case .messagePosted(let e):
            try await connection.query(
                """
                WITH posted AS (
                    INSERT INTO messages (event_id, room_id, message_id, author, text, client_msg_id, occurred_at)
                    VALUES (\(position), \(e.roomId), \(e.messageId), \(e.author), \(e.text), \(e.clientMsgId),
                            \(occurredAt)::timestamptz)
                    ON CONFLICT (event_id) DO NOTHING
                )
                UPDATE rooms SET last_event_id = \(position) WHERE room_id = \(e.roomId)
                """,
                logger: logger
            )
        case .orderCreated(let e):
            let items = String(decoding: try JSONEncoder().encode(e.items), as: UTF8.self)
            try await connection.query(
                """
                INSERT INTO orders (order_id, customer_id, items, total_cents, currency, event_id, occurred_at)
                VALUES (\(e.orderId), \(e.customerId), \(items)::jsonb, \(e.totalCents), \(e.currency),
                        \(position), \(occurredAt)::timestamptz)
                ON CONFLICT (order_id) DO NOTHING
                """,
                logger: logger
            )
        case .notificationSent(let e):
            try await connection.query(
                """
                INSERT INTO notifications (user_id, notification_id, kind, content, related_event_id, read, event_id, occurred_at)
                VALUES (\(e.userId), \(e.notificationId), \(e.kind), \(e.content), \(e.relatedEventId), false,
                        \(position), \(occurredAt)::timestamptz)
                ON CONFLICT (user_id, notification_id) DO NOTHING
                """,
                logger: logger
            )
        case .notificationRead(let e):
            try await connection.query(
                """
                UPDATE notifications SET read = true
                WHERE user_id = \(e.userId) AND notification_id = \(e.notificationId)
                """,
                logger: logger
            )
        }
    }
}
