import Domain
import EventStore
import Foundation
import Testing

/// Every order causes exactly one notification, even when the server is killed in the middle
/// and two servers then race to finish the work.
@Suite struct OrderReactionTests {
    static let orders = 120

    @Test func eachOrderNotifiesItsCustomerExactlyOnceAcrossAKillAndTwoServers() async throws {
        let url = try await TestDatabase.create()
        let orderPositions = try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            var positions: [Int64] = []
            for n in 0..<Self.orders {
                let order = OrderCreated(
                    orderId: "o-\(n)", customerId: "customer-\(n % 7)",
                    items: [OrderItem(sku: "sku-1", quantity: 2, unitPriceCents: 150)], totalCents: 300, currency: "EUR"
                )
                let data = String(decoding: try DomainEvent.orderCreated(order).encodedData(), as: UTF8.self)
                let metadata = #"{"actor":"customer-\#(n % 7)","command_id":"c-\#(n)","correlation_id":"c-\#(n)","causation_id":null}"#
                let result = try await store.append(
                    [NewEvent(type: OrderCreated.eventType, data: data, metadata: metadata)],
                    to: StreamName.order("o-\(n)"), expectedVersion: .noStream
                )
                positions.append(result.lastPosition)
            }
            return positions
        }

        let notificationCount: () async throws -> Int64 = {
            try await TestDatabase.scalar("SELECT count(*) FROM events WHERE type = 'notifications.notification_sent'", on: url)
        }
        // A server starts reacting and is killed without warning part of the way through.
        let first = try ServerProcess.serve(database: url)
        try await eventually("the first server to send some notifications") { try await notificationCount() >= 10 }
        first.kill(SIGKILL)
        _ = await first.waitForExit()
        #expect(try await notificationCount() < Int64(Self.orders), "the kill came mid-way (else the test proves less)")

        // Two servers now share the remaining work.
        let second = try ServerProcess.serve(database: url)
        let third = try ServerProcess.serve(database: url)
        try await eventually("every order to be notified") { try await notificationCount() >= Int64(Self.orders) }
        // Give a duplicate, if the design allowed one, the chance to appear before we look.
        try await eventually("the reactor checkpoint to pass the last order") {
            try await TestDatabase.scalar("SELECT coalesce(max(position), 0) FROM checkpoints WHERE name = 'order_notifications'", on: url)
                >= orderPositions.last!
        }
        second.kill(SIGTERM)
        third.kill(SIGTERM)
        #expect(await second.waitForExit() == 0)
        #expect(await third.waitForExit() == 0)

        #expect(try await notificationCount() == Int64(Self.orders))
        let distinctRelated = try await TestDatabase.scalar(
            "SELECT count(DISTINCT data->>'related_event_id') FROM events WHERE type = 'notifications.notification_sent'", on: url
        )
        #expect(distinctRelated == Int64(Self.orders))
        let causedByOrders = try await TestDatabase.scalar(
            """
            SELECT count(*) FROM events n JOIN events o ON o.position = (n.metadata->>'causation_id')::bigint
            WHERE n.type = 'notifications.notification_sent' AND o.type = 'orders.order_created'
              AND n.data->>'user_id' = o.data->>'customer_id' AND n.data->>'kind' = 'order_created'
              AND n.data->>'related_event_id' = o.position::text
            """,
            on: url
        )
        #expect(causedByOrders == Int64(Self.orders))
    }
}
