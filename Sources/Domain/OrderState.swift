/// What the order aggregate needs to decide commands, folded from an `order-<id>` stream.
///
/// Orders are immutable in v1, so existence and ownership are all there is. Persisted as a
/// JSON snapshot with snake_case keys.
public struct OrderState: Codable, Sendable, Equatable {
    /// The order.
    public var orderId: String
    /// The customer who placed it: the only non-staff user who may see it.
    public var customerId: String

    /// Creates a state.
    public init(orderId: String, customerId: String) {
        self.orderId = orderId
        self.customerId = customerId
    }

    enum CodingKeys: String, CodingKey {
        case orderId = "order_id"
        case customerId = "customer_id"
    }
}
