/// `notifications.notification_sent`: a notification was delivered to a user's stream.
public struct NotificationSent: EventData {
    /// The contract type name.
    public static let eventType = "notifications.notification_sent"

    /// The notification, unique within the recipient's stream.
    public var notificationId: String
    /// The recipient; the event lives in `notification-<user_id>`.
    public var userId: String
    /// What kind of notification, an identifier such as `order_created`.
    public var kind: String
    /// The text shown to the user.
    public var content: String
    /// The id of the event that caused this notification, or nil for one sent by staff.
    public var relatedEventId: String?
    /// What `content` says, for programs (contract section 10): for an order, `order_id`,
    /// `total_cents` and `currency`. Nil (left out) where there is nothing structured to say,
    /// and on events stored before issue 26.
    public var data: JSONValue?

    /// Creates the event data.
    public init(notificationId: String, userId: String, kind: String, content: String, relatedEventId: String?, data: JSONValue? = nil) {
        self.notificationId = notificationId
        self.userId = userId
        self.kind = kind
        self.content = content
        self.relatedEventId = relatedEventId
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case notificationId = "notification_id"
        case userId = "user_id"
        case kind
        case content
        case relatedEventId = "related_event_id"
        case data
    }

    /// Encodes the data, writing `related_event_id` as `null` when there is none.
    ///
    /// The contract lists the field as required, so it is always present; synthesised
    /// `Encodable` would leave a nil optional out altogether.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(notificationId, forKey: .notificationId)
        try container.encode(userId, forKey: .userId)
        try container.encode(kind, forKey: .kind)
        try container.encode(content, forKey: .content)
        if let relatedEventId {
            try container.encode(relatedEventId, forKey: .relatedEventId)
        } else {
            try container.encodeNil(forKey: .relatedEventId)
        }
        try container.encodeIfPresent(data, forKey: .data)
    }
}
