/// The notifications aggregate, one per user: pure `evolve` and decide functions over
/// ``NotificationsState``.
public enum Notifications {
    /// Applies one event of a notification stream.
    ///
    /// - Parameters:
    ///   - state: The state before the event; nil when the stream has no events yet.
    ///   - event: The event at `version`.
    ///   - version: The event's 1-based version in the stream.
    /// - Returns: The state after the event. A second `sent` or `read` for the same id keeps
    ///   the first version, which is the one clients were told about; events that do not apply
    ///   leave the state unchanged.
    public static func evolve(_ state: NotificationsState?, _ event: DomainEvent, version: Int64) -> NotificationsState? {
        switch event {
        case .notificationSent(let e):
            var state = state ?? NotificationsState(notifications: [:])
            if state.notifications[e.notificationId] == nil {
                state.notifications[e.notificationId] = NotificationStatus(sentVersion: version, readVersion: nil)
            }
            return state
        case .notificationRead(let e):
            guard var state, var status = state.notifications[e.notificationId], status.readVersion == nil else {
                return state
            }
            status.readVersion = version
            state.notifications[e.notificationId] = status
            return state
        default:
            return state
        }
    }

    /// Sends a notification to `c.userId`; the state is that user's stream.
    ///
    /// - Parameters:
    ///   - notificationId: The id the server assigned.
    ///   - relatedEventId: The id of the event that caused it, nil for one sent by staff.
    /// - Returns: The `notifications.notification_sent` event.
    /// - Throws: `.conflict` when the user already has a notification with this id.
    public static func send(
        _ c: SendNotification, notificationId: String, relatedEventId: String?, state: NotificationsState?
    ) throws(DomainRejection) -> [DomainEvent] {
        if state?.notifications[notificationId] != nil {
            throw .conflict("notification \(notificationId) already exists")
        }
        return [
            .notificationSent(
                NotificationSent(
                    notificationId: notificationId, userId: c.userId, kind: c.kind, content: c.content,
                    relatedEventId: relatedEventId))
        ]
    }

    /// The user marks one of their notifications read; the state is the user's own stream.
    ///
    /// - Returns: `.unchanged` with the version of the earlier read when it is already read
    ///   (reading twice is harmless, as joining twice is), else `notification_read`.
    /// - Throws: `.notFound` when the user has no such notification. Someone else's
    ///   notification is not in this user's stream, so it answers 404 as the contract requires.
    public static func markRead(
        notificationId: String, user: String, state: NotificationsState?
    ) throws(DomainRejection) -> Decision {
        guard let status = state?.notifications[notificationId] else {
            throw .notFound("notification \(notificationId) not found")
        }
        if let readVersion = status.readVersion { return .unchanged(existingVersion: readVersion) }
        return .append([.notificationRead(NotificationRead(notificationId: notificationId, userId: user))])
    }
}
