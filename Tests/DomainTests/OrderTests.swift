import Domain
import Foundation
import Testing

@Suite struct OrderTests {
    @Test func createEmitsOrderCreatedWithTheComputedTotal() throws {
        let c = Make.order([("apple", 3, 125), ("pear", 2, 50)], currency: "GBP")
        #expect(
            try Order.create(c, orderId: "o-7", customer: "carol", state: nil) == [
                .orderCreated(
                    OrderCreated(
                        orderId: "o-7", customerId: "carol",
                        items: [
                            OrderItem(sku: "apple", quantity: 3, unitPriceCents: 125),
                            OrderItem(sku: "pear", quantity: 2, unitPriceCents: 50),
                        ],
                        totalCents: 475, currency: "GBP"))
            ])
    }

    @Test func createOnAnExistingOrderConflicts() throws {
        let state = fold(try Order.create(Make.order(), orderId: "o-1", customer: "carol", state: nil), Order.evolve)
        #expect(
            rejection { () throws(DomainRejection) in try Order.create(Make.order(), orderId: "o-1", customer: "dave", state: state) }
                == .conflict("order o-1 already exists"))
        #expect(
            rejection { () throws(DomainRejection) in try Order.create(Make.order(), orderId: "o-1", customer: "carol", state: state) }
                == .conflict("order o-1 already exists"))
    }

    @Test func evolve() throws {
        let event = DomainEvent.orderCreated(OrderCreated(orderId: "o-1", customerId: "carol", items: [], totalCents: 0, currency: "EUR"))
        let state = Order.evolve(nil, event, version: 1)
        #expect(state == OrderState(orderId: "o-1", customerId: "carol"))
        // A second creation (never decided) and foreign events leave it alone.
        let other = DomainEvent.orderCreated(OrderCreated(orderId: "o-1", customerId: "eve", items: [], totalCents: 0, currency: "EUR"))
        #expect(Order.evolve(state, other, version: 2) == state)
        #expect(Order.evolve(nil, .memberLeft(MemberLeft(roomId: "g", user: "u")), version: 1) == nil)
    }

    @Test func stateSnapshotRoundTrips() throws {
        let state = OrderState(orderId: "o-1", customerId: "carol")
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(OrderState.self, from: data) == state)
        #expect(try jsonObject(data) == ["order_id": "o-1", "customer_id": "carol"])
    }
}
