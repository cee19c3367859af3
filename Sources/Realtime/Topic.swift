import Domain

/// A topic a client subscribes to (contract section 2).
public enum Topic: Hashable, Sendable, CustomStringConvertible {
    /// `room:<room_id>`: the room's `chat.*` events and typing signals.
    case room(String)
    /// `orders`: the caller's own orders, everyone's for staff.
    case orders
    /// `notifications`: the caller's own notifications.
    case notifications

    /// Parses `room:general`, `orders`, `notifications`; nil for anything else.
    public init?(_ text: String) {
        switch text {
        case "orders": self = .orders
        case "notifications": self = .notifications
        default:
            guard text.hasPrefix("room:") else { return nil }
            let id = String(text.dropFirst(5))
            guard Identifier.isValid(id) else { return nil }
            self = .room(id)
        }
    }

    public var description: String {
        switch self {
        case .room(let id): "room:\(id)"
        case .orders: "orders"
        case .notifications: "notifications"
        }
    }
}

/// What the hub routes on: a topic as one reader sees it. A customer's `orders` and a staff
/// member's `orders` are different audiences of the same topic.
public enum RoutingKey: Hashable, Sendable {
    case room(String)
    case ordersOf(String)
    case allOrders
    case notificationsOf(String)
}

extension RoutingKey {
    /// The topic a client names to receive what routes by this key.
    public var topic: Topic {
        switch self {
        case .room(let id): .room(id)
        case .ordersOf, .allOrders: .orders
        case .notificationsOf: .notifications
        }
    }
}
