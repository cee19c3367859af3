/// Names of the event streams, `<category>-<entity id>` as the contract and Message DB have it.
///
/// Ids are validated identifiers, which may themselves contain `-`: the category is everything
/// before the first `-`, so `room-a-b` is the room `a-b`.
public enum StreamName {
    /// The category of room streams.
    public static let roomCategory = "room"
    /// The category of order streams.
    public static let orderCategory = "order"
    /// The category of per-user notification streams.
    public static let notificationCategory = "notification"

    /// The stream of a chat room: `room-<id>`.
    public static func room(_ id: String) -> String { "\(roomCategory)-\(id)" }

    /// The stream of an order: `order-<id>`.
    public static func order(_ id: String) -> String { "\(orderCategory)-\(id)" }

    /// The stream of one user's notifications: `notification-<user>`.
    public static func notifications(forUser user: String) -> String { "\(notificationCategory)-\(user)" }
}
