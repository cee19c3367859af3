/// `notifications.notification_read`: the recipient marked a notification as read.
public struct NotificationRead: EventData {
    /// The contract type name.
    public static let eventType = "notifications.notification_read"

    /// The notification that was read.
    public var notificationId: String
    /// The recipient, who is the only one allowed to mark it read.
    public var userId: String

    /// Creates the event data.
    public init(notificationId: String, userId: String) {
        self.notificationId = notificationId
        self.userId = userId
    }

    enum CodingKeys: String, CodingKey {
        case notificationId = "notification_id"
        case userId = "user_id"
    }
}
