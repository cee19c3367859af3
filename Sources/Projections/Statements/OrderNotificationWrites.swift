import Foundation
import PostgresNIO

// The projector's writes to orders and notifications, one statement per run of events of one
// type (see ``ReadModelWriter``). Each is given only events of its own type.

/// `orders.order_created`: the first creation of an order id wins.
struct OrdersCreatedWrite: ReadModelWrite {
    static let name = "tl_write_orders_created"
    static let bindingDataTypes: [PostgresDataType] = [
        .textArray, .textArray, .textArray, .int8Array, .textArray, .int8Array, .textArray,
    ]
    static let sql = """
        INSERT INTO orders (order_id, customer_id, items, total_cents, currency, event_id, occurred_at)
        SELECT DISTINCT ON (order_id) order_id, customer_id, items::jsonb, total_cents, currency, event_id,
               occurred_at::timestamptz
        FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[])
            AS e(order_id, customer_id, items, total_cents, currency, event_id, occurred_at)
        ORDER BY order_id, event_id
        ON CONFLICT (order_id) DO NOTHING
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        var ids: [String] = [], customers: [String] = [], items: [String] = [], totals: [Int64] = []
        var currencies: [String] = [], positions: [Int64] = [], times: [String] = []
        let encoder = JSONEncoder()
        for projected in events {
            guard case .orderCreated(let e) = projected.event else { continue }
            ids.append(e.orderId)
            customers.append(e.customerId)
            items.append(String(decoding: try encoder.encode(e.items), as: UTF8.self))
            totals.append(e.totalCents)
            currencies.append(e.currency)
            positions.append(projected.position)
            times.append(projected.occurredAt)
        }
        return PostgresBindings(binding: ids, customers, items, totals, currencies, positions, times)
    }
}

/// `notifications.notification_sent`: the first notification of a (user, id) wins, unread.
struct NotificationsSentWrite: ReadModelWrite {
    static let name = "tl_write_notifications_sent"
    static let bindingDataTypes: [PostgresDataType] = [
        .textArray, .textArray, .textArray, .textArray, .textArray, .boolArray, .int8Array, .textArray, .textArray,
    ]
    // PostgresNIO binds no arrays of optionals: `has_related` says which `related` entries are
    // real, and an empty `data` text is none.
    static let sql = """
        INSERT INTO notifications (user_id, notification_id, kind, content, related_event_id, read, event_id, occurred_at, data)
        SELECT DISTINCT ON (user_id, notification_id) user_id, notification_id, kind, content,
               CASE WHEN has_related THEN related END, false, event_id, occurred_at::timestamptz,
               CASE WHEN data <> '' THEN data::jsonb END
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::bigint[], $8::text[], $9::text[])
            AS e(user_id, notification_id, kind, content, related, has_related, event_id, occurred_at, data)
        ORDER BY user_id, notification_id, event_id
        ON CONFLICT (user_id, notification_id) DO NOTHING
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        var users: [String] = [], ids: [String] = [], kinds: [String] = [], contents: [String] = []
        var related: [String] = [], hasRelated: [Bool] = [], positions: [Int64] = [], times: [String] = [], data: [String] = []
        for projected in events {
            guard case .notificationSent(let e) = projected.event else { continue }
            users.append(e.userId)
            ids.append(e.notificationId)
            kinds.append(e.kind)
            contents.append(e.content)
            related.append(e.relatedEventId ?? "")
            hasRelated.append(e.relatedEventId != nil)
            positions.append(projected.position)
            times.append(projected.occurredAt)
            data.append(try e.data.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } ?? "")
        }
        return PostgresBindings(binding: users, ids, kinds, contents, related, hasRelated, positions, times, data)
    }
}

/// `notifications.notification_read`: marks the notifications read (again is harmless).
struct NotificationsReadWrite: ReadModelWrite {
    static let name = "tl_write_notifications_read"
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray]
    static let sql = """
        UPDATE notifications n SET read = true
        FROM unnest($1::text[], $2::text[]) AS e(user_id, notification_id)
        WHERE n.user_id = e.user_id AND n.notification_id = e.notification_id
        """
    var events: [ProjectedEvent]

    func makeBindings() throws -> PostgresBindings {
        var users: [String] = [], ids: [String] = []
        for projected in events {
            guard case .notificationRead(let e) = projected.event else { continue }
            users.append(e.userId)
            ids.append(e.notificationId)
        }
        return PostgresBindings(binding: users, ids)
    }
}
