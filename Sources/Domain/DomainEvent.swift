/// Every event type of contract v1, as one closed set the aggregates and projectors switch over.
///
/// The store keeps an event as its `type` string and its `data` JSON; ``encodedData()`` and
/// ``decode(type:data:)`` convert between the two forms (see `DomainEvent+Coding.swift`).
public enum DomainEvent: Sendable, Equatable {
    /// `chat.room_created`.
    case roomCreated(RoomCreated)
    /// `chat.member_joined`.
    case memberJoined(MemberJoined)
    /// `chat.member_left`.
    case memberLeft(MemberLeft)
    /// `chat.message_posted`.
    case messagePosted(MessagePosted)
    /// `orders.order_created`.
    case orderCreated(OrderCreated)
    /// `notifications.notification_sent`.
    case notificationSent(NotificationSent)
    /// `notifications.notification_read`.
    case notificationRead(NotificationRead)

    /// The contract's event type, e.g. `chat.message_posted`.
    public var type: String {
        switch self {
        case .roomCreated: RoomCreated.eventType
        case .memberJoined: MemberJoined.eventType
        case .memberLeft: MemberLeft.eventType
        case .messagePosted: MessagePosted.eventType
        case .orderCreated: OrderCreated.eventType
        case .notificationSent: NotificationSent.eventType
        case .notificationRead: NotificationRead.eventType
        }
    }

    /// The stream the event belongs to, derived from its data: `room-…`, `order-…` or
    /// `notification-…`.
    public var streamName: String {
        switch self {
        case .roomCreated(let e): StreamName.room(e.roomId)
        case .memberJoined(let e): StreamName.room(e.roomId)
        case .memberLeft(let e): StreamName.room(e.roomId)
        case .messagePosted(let e): StreamName.room(e.roomId)
        case .orderCreated(let e): StreamName.order(e.orderId)
        case .notificationSent(let e): StreamName.notifications(forUser: e.userId)
        case .notificationRead(let e): StreamName.notifications(forUser: e.userId)
        }
    }
}
