import Logging
import PostgresNIO

/// Queries on the read tables. They may lag the log; callers that need their own writes wait on
/// ``ProjectionProgress`` first (`min_event_id`).
public struct ReadModel: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let occurredAt = #"to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#

    // MARK: Rooms

    /// Public rooms and the private rooms `user` belongs to, by room id, after `after`.
    public func rooms(visibleTo user: String, after: String?, limit: Int) async throws -> [RoomRow] {
        let rows = try await client.query(
            """
            SELECT r.room_id, r.name, r.visibility, r.member_count, r.last_event_id
            FROM rooms r
            WHERE r.room_id > \(after ?? "")
              AND (r.visibility = 'public'
                   OR EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.room_id AND m.user_id = \(user)))
            ORDER BY r.room_id
            LIMIT \(limit)
            """,
            logger: logger
        )
        var rooms: [RoomRow] = []
        for try await (id, name, visibility, members, last) in rows.decode((String, String, String, Int, Int64).self) {
            rooms.append(RoomRow(roomID: id, name: name, visibility: visibility, memberCount: members, lastEventID: last))
        }
        return rooms
    }

    // MARK: Messages

    /// A page of a room's messages, oldest first within the page.
    /// - With neither bound: the newest `limit`. With `after`: the first `limit` after it.
    ///   With `before`: the newest `limit` before it. (Callers give at most one bound.)
    public func messages(room: String, before: Int64?, after: Int64?, limit: Int) async throws -> MessagePage {
        let select = "SELECT event_id, message_id, author, text, \(Self.occurredAt) FROM messages"
        let query: PostgresQuery = if let after {
            "\(unescaped: select) WHERE room_id = \(room) AND event_id > \(after) ORDER BY event_id LIMIT \(limit)"
        } else {
            "\(unescaped: select) WHERE room_id = \(room) AND event_id < \(before ?? Int64.max) ORDER BY event_id DESC LIMIT \(limit)"
        }
        var messages: [MessageRow] = []
        for try await (eventID, messageID, author, text, occurredAt)
            in try await client.query(query, logger: logger).decode((Int64, String, String, String, String).self)
        {
            messages.append(MessageRow(messageID: messageID, eventID: eventID, author: author, text: text, occurredAt: occurredAt))
        }
        messages.sort { $0.eventID < $1.eventID }
        var nextBefore: Int64?
        if let oldest = messages.first?.eventID {
            let older = try await client.query(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE room_id = \(room) AND event_id < \(oldest))",
                logger: logger
            )
            for try await exists in older.decode(Bool.self) where exists { nextBefore = oldest }
        }
        return MessagePage(messages: messages, nextBefore: nextBefore)
    }

    // MARK: Orders

    public func order(id: String) async throws -> OrderRow? {
        try await orders(matching: "order_id = \(id)").first
    }

    /// Orders by event id after `after`: the customer's own, or everyone's when `customer` is nil.
    public func orders(customer: String?, after: Int64?, limit: Int) async throws -> [OrderRow] {
        if let customer {
            return try await orders(matching: "customer_id = \(customer) AND event_id > \(after ?? 0) ORDER BY event_id LIMIT \(limit)")
        }
        return try await orders(matching: "event_id > \(after ?? 0) ORDER BY event_id LIMIT \(limit)")
    }

    /// Orders whose row matches `condition`, a query fragment that binds its own values.
    private func orders(matching condition: PostgresQuery) async throws -> [OrderRow] {
        // The fixed head binds nothing, so the fragment's $1, $2… keep their numbers.
        let head = "SELECT order_id, customer_id, items::text, total_cents, currency, event_id, \(Self.occurredAt) FROM orders WHERE "
        let query = PostgresQuery(unsafeSQL: head + condition.sql, binds: condition.binds)
        var orders: [OrderRow] = []
        for try await (id, customer, items, total, currency, eventID, occurredAt)
            in try await client.query(query, logger: logger).decode((String, String, String, Int64, String, Int64, String).self)
        {
            orders.append(OrderRow(
                orderID: id, customerID: customer, itemsJSON: items, totalCents: total,
                currency: currency, eventID: eventID, occurredAt: occurredAt
            ))
        }
        return orders
    }

    // MARK: Notifications

    /// The user's notifications, newest first, at most `limit`.
    public func notifications(user: String, unreadOnly: Bool, limit: Int) async throws -> [NotificationRow] {
        let rows = try await client.query(
            """
            SELECT notification_id, kind, content, related_event_id, read, event_id, \(unescaped: Self.occurredAt)
            FROM notifications
            WHERE user_id = \(user) AND (NOT \(unreadOnly) OR NOT read)
            ORDER BY event_id DESC LIMIT \(limit)
            """,
            logger: logger
        )
        var notifications: [NotificationRow] = []
        for try await (id, kind, content, related, read, eventID, occurredAt)
            in rows.decode((String, String, String, String?, Bool, Int64, String).self)
        {
            notifications.append(NotificationRow(
                notificationID: id, kind: kind, content: content, relatedEventID: related,
                read: read, eventID: eventID, occurredAt: occurredAt
            ))
        }
        return notifications
    }
}
