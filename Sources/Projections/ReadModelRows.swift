/// Rows of the read tables, as the API answers them.

public struct RoomRow: Sendable, Equatable {
    public var roomID: String
    public var name: String
    public var visibility: String
    public var memberCount: Int
    public var lastEventID: Int64
    /// Whether the caller who asked is a member (contract section 10).
    public var isMember: Bool
}

public struct MessageRow: Sendable, Equatable {
    public var messageID: String
    public var eventID: Int64
    public var author: String
    public var text: String
    public var occurredAt: String
    /// The client's own `client_msg_id`, nil when the client gave none (contract section 10).
    public var clientMsgID: String?
}

public struct MessagePage: Sendable, Equatable {
    public var messages: [MessageRow]
    /// The page's oldest event id when older messages exist, else nil.
    public var nextBefore: Int64?
    /// The room's newest event id when the page was read (contract section 10): a client that
    /// shows this page resumes from it.
    public var lastEventID: Int64
}

public struct OrderRow: Sendable, Equatable {
    public var orderID: String
    public var customerID: String
    /// The items as stored: a JSON array of `{sku, quantity, unit_price_cents}`.
    public var itemsJSON: String
    public var totalCents: Int64
    public var currency: String
    public var eventID: Int64
    public var occurredAt: String
}

public struct NotificationRow: Sendable, Equatable {
    public var notificationID: String
    public var kind: String
    public var content: String
    public var relatedEventID: String?
    public var read: Bool
    public var eventID: Int64
    public var occurredAt: String
    /// The structured `data` as JSON text, nil when there is none.
    public var dataJSON: String?
}
