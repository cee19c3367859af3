extension Notifications {
    /// The kind of the notification every order causes.
    public static let orderCreatedKind = "order_created"

    /// The notification that an `orders.order_created` causes, exactly once (contract §1).
    ///
    /// Deterministic in its inputs: the id is derived from the order event's id, so a reaction
    /// replayed after a crash produces the same `notification_id`, and the reactor can see in
    /// the customer's ``NotificationsState`` that it already ran instead of notifying twice.
    ///
    /// - Parameters:
    ///   - order: The order event's data.
    ///   - orderEventId: The order event's global id (its position in the log).
    /// - Returns: The event data to append to `notification-<customer>`, with
    ///   `related_event_id` = the order event's id (which is also the causation id).
    public static func reaction(to order: OrderCreated, orderEventId: Int64) -> NotificationSent {
        NotificationSent(
            notificationId: "n-order-\(orderEventId)",
            userId: order.customerId,
            kind: orderCreatedKind,
            content: "Order \(order.orderId) created: \(Currency.format(minorUnits: order.totalCents, order.currency))",
            relatedEventId: String(orderEventId),
            data: .object(["order_id": .string(order.orderId), "total_cents": .int(order.totalCents), "currency": .string(order.currency)]))
    }
}
