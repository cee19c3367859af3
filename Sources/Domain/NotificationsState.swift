/// What the notifications aggregate needs to decide commands, folded from one user's
/// `notification-<user>` stream. Persisted as a JSON snapshot with snake_case keys.
public struct NotificationsState: Codable, Sendable, Equatable {
    /// Every notification of the user, by notification id.
    public var notifications: [String: NotificationStatus]

    /// Creates a state.
    public init(notifications: [String: NotificationStatus]) {
        self.notifications = notifications
    }
}

/// Where one notification stands, by the stream versions of its events.
public struct NotificationStatus: Codable, Sendable, Equatable {
    /// The version of its `notification_sent`.
    public var sentVersion: Int64
    /// The version of its `notification_read`, nil while unread.
    public var readVersion: Int64?

    /// Creates a status.
    public init(sentVersion: Int64, readVersion: Int64?) {
        self.sentVersion = sentVersion
        self.readVersion = readVersion
    }

    enum CodingKeys: String, CodingKey {
        case sentVersion = "sent_version"
        case readVersion = "read_version"
    }
}
