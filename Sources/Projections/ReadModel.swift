import EventStore
import Logging
import PostgresNIO

/// Queries on the read tables. They may lag the log; callers that need their own writes wait on
/// ``ProjectionProgress`` first (`min_event_id`). Each query is a prepared statement
/// (`Statements/`): they serve every GET.
public struct ReadModel: Sendable {
    let client: DatabasePool
    let logger: Logger

    public init(client: DatabasePool, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let occurredAt = #"to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#

    // MARK: Rooms

    /// Public rooms and the private rooms `user` belongs to, by room id, after `after`.
    public func rooms(visibleTo user: String, after: String?, limit: Int) async throws -> [RoomRow] {
        try await all(RoomsVisibleQuery(after: after ?? "", user: user, limit: limit))
    }

    // MARK: Messages

    /// A page of a room's messages, oldest first within the page.
    /// - With neither bound: the newest `limit`. With `after`: the first `limit` after it.
    ///   With `before`: the newest `limit` before it. (Callers give at most one bound.)
    public func messages(room: String, before: Int64?, after: Int64?, limit: Int) async throws -> MessagePage {
        // Read before the messages: a resume point newer than the page would skip what the
        // page missed; an older one only repeats what a client drops by id.
        let lastEventID = try await all(RoomLastEventQuery(room: room)).first ?? 0
        var messages = if let after {
            try await all(MessagesAfterQuery(room: room, after: after, limit: limit))
        } else {
            try await all(MessagesBeforeQuery(room: room, before: before ?? Int64.max, limit: limit))
        }
        messages.sort { $0.eventID < $1.eventID }
        var nextBefore: Int64?
        if let oldest = messages.first?.eventID,
           try await all(OlderMessagesQuery(room: room, before: oldest)).first == true
        {
            nextBefore = oldest
        }
        return MessagePage(messages: messages, nextBefore: nextBefore, lastEventID: lastEventID)
    }

    // MARK: Orders

    public func order(id: String) async throws -> OrderRow? {
        try await all(OrderByIDQuery(id: id)).first
    }

    /// Orders by event id after `after`: the customer's own, or everyone's when `customer` is nil.
    public func orders(customer: String?, after: Int64?, limit: Int) async throws -> [OrderRow] {
        if let customer {
            return try await all(CustomerOrdersQuery(customer: customer, after: after ?? 0, limit: limit))
        }
        return try await all(AllOrdersQuery(after: after ?? 0, limit: limit))
    }

    /// Orders before `before` (nil: from the newest), newest first: the customer's own, or
    /// everyone's when `customer` is nil.
    public func orders(customer: String?, before: Int64?, limit: Int) async throws -> [OrderRow] {
        try await all(OrdersBeforeQuery(customer: customer, before: before ?? .max, limit: limit))
    }

    // MARK: Notifications

    /// How many of the user's notifications are unread (all of them, not a page's).
    public func unreadNotificationCount(user: String) async throws -> Int64 {
        try await all(UnreadCountQuery(user: user)).first ?? 0
    }

    /// The user's notifications, newest first, at most `limit`.
    public func notifications(user: String, unreadOnly: Bool, limit: Int) async throws -> [NotificationRow] {
        try await all(NotificationsQuery(user: user, unreadOnly: unreadOnly, limit: limit))
    }

    /// Every row of a prepared query.
    private func all<Query: PostgresPreparedStatement>(_ query: Query) async throws -> [Query.Row] {
        try await client.execute(query, logger: logger)
    }
}
