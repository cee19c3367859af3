/// The order aggregate: pure `evolve` and decide functions over ``OrderState``.
public enum Order {
    /// Applies one event of an order stream.
    ///
    /// - Parameters:
    ///   - state: The state before the event; nil when the stream has no events yet.
    ///   - event: The event at `version`.
    ///   - version: The event's 1-based version in the stream (unused: nothing in the state
    ///     refers to a version, but every aggregate folds with the same signature).
    /// - Returns: The state after the event; events that do not apply leave it unchanged.
    public static func evolve(_ state: OrderState?, _ event: DomainEvent, version: Int64) -> OrderState? {
        switch (state, event) {
        case (nil, .orderCreated(let e)):
            OrderState(orderId: e.orderId, customerId: e.customerId)
        default:
            state
        }
    }

    /// Places an order.
    ///
    /// - Parameters:
    ///   - c: The validated command; its `totalCents` is stored as is.
    ///   - orderId: The order's id: the client's `order_id`, or one the API assigned.
    ///   - customer: The caller, who becomes the customer.
    ///   - state: The order stream's state.
    /// - Returns: The `orders.order_created` event.
    /// - Throws: `.conflict` when an order with this id exists, whoever its customer is. (The
    ///   contract hides other customers' orders behind 404 on reads; a create must still fail,
    ///   and 409 is how §4 answers creating something that exists. Clients that want no
    ///   collisions leave `order_id` out.)
    public static func create(
        _ c: CreateOrder, orderId: String, customer: String, state: OrderState?
    ) throws(DomainRejection) -> [DomainEvent] {
        guard state == nil else { throw .conflict("order \(orderId) already exists") }
        return [
            .orderCreated(
                OrderCreated(orderId: orderId, customerId: customer, items: c.items, totalCents: c.totalCents, currency: c.currency))
        ]
    }
}
