import PostgresNIO

// The read model's queries on orders and notifications, prepared once per connection. Each
// shape of query is a statement of its own, so each keeps a plan that fits it (an optional
// customer in one statement would leave a generic plan unable to use the customer's index).

/// One order by id.
struct OrderByIDQuery: PostgresPreparedStatement {
    static let name = "tl_order_by_id"
    static let bindingDataTypes: [PostgresDataType] = [.text]
    static let sql = "SELECT \(OrderRow.columns) FROM orders WHERE order_id = $1"
    var id: String

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: id)
    }

    func decodeRow(_ row: PostgresRow) throws -> OrderRow { try OrderRow(row) }
}

/// A customer's orders by event id, after an event id.
struct CustomerOrdersQuery: PostgresPreparedStatement {
    static let name = "tl_orders_of_customer"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8]
    static let sql = """
        SELECT \(OrderRow.columns) FROM orders
        WHERE customer_id = $1 AND event_id > $2 ORDER BY event_id LIMIT $3
        """
    var customer: String
    var after: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: customer, after, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> OrderRow { try OrderRow(row) }
}

/// Everyone's orders by event id, after an event id (staff).
struct AllOrdersQuery: PostgresPreparedStatement {
    static let name = "tl_orders_all"
    static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
    static let sql = "SELECT \(OrderRow.columns) FROM orders WHERE event_id > $1 ORDER BY event_id LIMIT $2"
    var after: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: after, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> OrderRow { try OrderRow(row) }
}

/// Orders before an event id, newest first: a customer's own, or everyone's when the customer
/// is null (staff).
struct OrdersBeforeQuery: PostgresPreparedStatement {
    static let name = "tl_orders_before"
    static let bindingDataTypes: [PostgresDataType] = [.text, .int8, .int8]
    static let sql = """
        SELECT \(OrderRow.columns) FROM orders
        WHERE ($1::text IS NULL OR customer_id = $1) AND event_id < $2 ORDER BY event_id DESC LIMIT $3
        """
    var customer: String?
    var before: Int64
    var limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(customer)  // NULL: everyone's
        bindings.append(before)
        bindings.append(Int64(limit))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> OrderRow { try OrderRow(row) }
}

/// How many of a user's notifications are unread.
struct UnreadCountQuery: PostgresPreparedStatement {
    static let name = "tl_notifications_unread"
    static let bindingDataTypes: [PostgresDataType] = [.text]
    static let sql = "SELECT count(*) FROM notifications WHERE user_id = $1 AND NOT read"
    var user: String

    func makeBindings() throws -> PostgresBindings { PostgresBindings(binding: user) }
    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}

/// A user's notifications, newest first, all or only the unread ones.
struct NotificationsQuery: PostgresPreparedStatement {
    static let name = "tl_notifications"
    static let bindingDataTypes: [PostgresDataType] = [.text, .bool, .int8]
    static let sql = """
        SELECT n.notification_id, n.kind, n.content, n.related_event_id, n.read, n.event_id, \(ReadModel.occurredAt),
               coalesce(n.data, \(Self.orderDataOfOlderNotifications))::text
        FROM notifications n
        WHERE n.user_id = $1 AND (NOT $2 OR NOT n.read)
        ORDER BY n.event_id DESC LIMIT $3
        """
    var user: String
    var unreadOnly: Bool
    var limit: Int

    /// An order's notification stored before notifications carried `data` (issue 26) answers the
    /// same `data` a new one does, from the order it names: no backfill, and a read model
    /// rebuilt from old events answers alike.
    static let orderDataOfOlderNotifications = """
        CASE WHEN n.kind = 'order_created' AND n.related_event_id ~ '^[0-9]{1,18}$' THEN
            (SELECT jsonb_build_object('order_id', o.order_id, 'total_cents', o.total_cents, 'currency', o.currency)
             FROM orders o WHERE o.event_id = n.related_event_id::bigint)
        END
        """

    func makeBindings() throws -> PostgresBindings {
        PostgresBindings(binding: user, unreadOnly, Int64(limit))
    }

    func decodeRow(_ row: PostgresRow) throws -> NotificationRow {
        let (id, kind, content, related, read, eventID, occurredAt, data) =
            try row.decode((String, String, String, String?, Bool, Int64, String, String?).self)
        return NotificationRow(
            notificationID: id, kind: kind, content: content, relatedEventID: related,
            read: read, eventID: eventID, occurredAt: occurredAt, dataJSON: data
        )
    }
}

extension OrderRow {
    static let columns = "order_id, customer_id, items::text, total_cents, currency, event_id, \(ReadModel.occurredAt)"

    /// A row of ``columns``.
    init(_ row: PostgresRow) throws {
        let (id, customer, items, total, currency, eventID, occurredAt) =
            try row.decode((String, String, String, Int64, String, Int64, String).self)
        self.init(
            orderID: id, customerID: customer, itemsJSON: items, totalCents: total,
            currency: currency, eventID: eventID, occurredAt: occurredAt
        )
    }
}
