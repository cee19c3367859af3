import Domain
import Foundation
import HTTPTypes
import Testing

/// Validation of `POST /v1/orders`: 1–100 items, quantity 1–10,000 (integers), price ≥ 0, an
/// ISO 4217 currency. Each rejection is a 422 naming the field and creates no order.
@Suite struct APIOrderValidationTests {
    static func item(quantity: String = "1", price: String = "100") -> String {
        #"{"sku":"sku-1","quantity":\#(quantity),"unit_price_cents":\#(price)}"#
    }

    static func order(items: [String], currency: String = "EUR") -> String {
        #"{"items":[\#(items.joined(separator: ","))],"currency":"\#(currency)"}"#
    }

    /// Posts `body` as an order, expects 422 naming `field`, and checks that no order was
    /// created: after a valid order, the log holds that one alone.
    static func expectRejected(_ body: String, field: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/orders", as: "carol", json: body)
            expectValidation(reply, field: field, sourceLocation: sourceLocation)
            let valid = try await server.post("/v1/orders", as: "carol", json: Self.order(items: [Self.item()]))
            #expect(valid.status == .created, sourceLocation: sourceLocation)
            let orders = try await server.events(ofType: "orders.order_created", through: valid.string("event_id"))
            #expect(orders.count == 1, sourceLocation: sourceLocation)
        }
    }

    @Test func anOrderWithNoItemsIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: []), field: "items")
    }

    @Test func anOrderWith101ItemsIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: Array(repeating: Self.item(), count: 101)), field: "items")
    }

    @Test func anOrderWith100ItemsIsAccepted() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/orders", as: "carol", json: Self.order(items: Array(repeating: Self.item(quantity: "2", price: "5"), count: 100)))
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply["total_cents"]?.asInt == 1000)
        }
    }

    @Test func aQuantityOfZeroIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item(quantity: "0")]), field: "items[0].quantity")
    }

    @Test func aQuantityAbove10000IsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item(), Self.item(quantity: "10001")]), field: "items[1].quantity")
    }

    @Test func aFractionalQuantityIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item(quantity: "1.5")]), field: "items[0].quantity")
    }

    @Test func aNegativePriceIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item(price: "-1")]), field: "items[0].unit_price_cents")
    }

    @Test func aLowercaseCurrencyIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item()], currency: "eur"), field: "currency")
    }

    @Test func anUnknownCurrencyIsRejected() async throws {
        try await Self.expectRejected(Self.order(items: [Self.item()], currency: "XYZ"), field: "currency")
    }

    @Test func aMissingCurrencyIsRejected() async throws {
        try await Self.expectRejected(#"{"items":[\#(Self.item())]}"#, field: "currency")
    }

    @Test func aFreeItemIsAccepted() async throws {
        try await TestServer.run { server in
            let reply = try await server.post("/v1/orders", as: "carol", json: Self.order(items: [Self.item(price: "0")], currency: "JPY"))
            #expect(reply.status == .created, "\(reply.text)")
            #expect(reply["total_cents"]?.asInt == 0)
        }
    }
}
