/// `orders.order_created`: a customer placed an order. First event of `order-<order_id>`.
public struct OrderCreated: EventData {
    /// The contract type name.
    public static let eventType = "orders.order_created"

    /// The order, an identifier; the stream is `order-<order_id>`.
    public var orderId: String
    /// The user who placed the order.
    public var customerId: String
    /// The 1–100 lines of the order.
    public var items: [OrderItem]
    /// The sum of quantity × unit price over the items, in integer minor units.
    public var totalCents: Int64
    /// An ISO 4217 code in upper case.
    public var currency: String

    /// Creates the event data.
    public init(orderId: String, customerId: String, items: [OrderItem], totalCents: Int64, currency: String) {
        self.orderId = orderId
        self.customerId = customerId
        self.items = items
        self.totalCents = totalCents
        self.currency = currency
    }

    enum CodingKeys: String, CodingKey {
        case orderId = "order_id"
        case customerId = "customer_id"
        case items
        case totalCents = "total_cents"
        case currency
    }
}
