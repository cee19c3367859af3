import Domain
import Foundation
import Testing

@Suite struct CreateOrderTests {
    private func item(sku: JSONValue = "sku-1", quantity: JSONValue = 1, price: JSONValue = 100) -> JSONValue {
        ["sku": sku, "quantity": quantity, "unit_price_cents": price]
    }

    private func order(_ items: [JSONValue], currency: JSONValue = "EUR") throws(ValidationFailure) -> CreateOrder {
        try CreateOrder(body: ["items": .array(items), "currency": currency])
    }

    private func failing(_ items: [JSONValue], currency: JSONValue = "EUR") -> [String] {
        failingFields { () throws(ValidationFailure) in try order(items, currency: currency) }
    }

    @Test func validOrderComputesTheTotal() throws {
        let c = try CreateOrder(
            body: body(
                #"{"order_id":"o-1","currency":"USD","items":[{"sku":"apple","quantity":3,"unit_price_cents":125},{"sku":"pear","quantity":1,"unit_price_cents":0}]}"#
            ))
        #expect(c.orderId == "o-1")
        #expect(c.currency == "USD")
        #expect(
            c.items == [
                OrderItem(sku: "apple", quantity: 3, unitPriceCents: 125), OrderItem(sku: "pear", quantity: 1, unitPriceCents: 0),
            ])
        #expect(c.totalCents == 375)
    }

    @Test func orderIdIsOptionalButMustBeAnIdentifier() throws {
        #expect(try order([item()]).orderId == nil)
        #expect(try CreateOrder(body: ["order_id": .null, "items": [item()], "currency": "EUR"]).orderId == nil)
        #expect(
            failingFields { () throws(ValidationFailure) in
                try CreateOrder(body: ["order_id": "_o", "items": [item()], "currency": "EUR"])
            } == ["order_id"])
        #expect(
            failingFields { () throws(ValidationFailure) in
                try CreateOrder(body: ["order_id": 12, "items": [item()], "currency": "EUR"])
            } == ["order_id"])
    }

    @Test func itemsAndCurrencyAreRequired() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try CreateOrder(body: [:]) } == [
                FieldError(field: "items", message: "is required"), FieldError(field: "currency", message: "is required"),
            ])
        #expect(failingFields { () throws(ValidationFailure) in try CreateOrder(body: ["items": "x", "currency": "EUR"]) } == ["items"])
    }

    @Test func itemCountBoundaries() throws {
        #expect(failing([]) == ["items"])
        #expect(try order([item()]).items.count == 1)
        #expect(try order(Array(repeating: item(), count: 100)).items.count == 100)
        #expect(
            fieldErrors { () throws(ValidationFailure) in try order(Array(repeating: item(), count: 101)) } == [
                FieldError(field: "items", message: "must contain at most 100 items")
            ])
    }

    @Test func quantityBoundaries() throws {
        #expect(try order([item(quantity: 1)]).totalCents == 100)
        #expect(try order([item(quantity: 10_000)]).totalCents == 1_000_000)
        #expect(failing([item(quantity: 0)]) == ["items[0].quantity"])
        #expect(failing([item(quantity: 10_001)]) == ["items[0].quantity"])
        #expect(failing([item(quantity: -1)]) == ["items[0].quantity"])
        #expect(
            fieldErrors { () throws(ValidationFailure) in try order([item(quantity: 0)]) } == [
                FieldError(field: "items[0].quantity", message: "must be between 1 and 10000")
            ])
    }

    @Test func priceBoundaries() throws {
        #expect(try order([item(price: 0)]).totalCents == 0)
        #expect(try order([item(price: 1_000_000_000_000)]).totalCents == 1_000_000_000_000)
        #expect(failing([item(price: -1)]) == ["items[0].unit_price_cents"])
        #expect(failing([item(price: 1_000_000_000_001)]) == ["items[0].unit_price_cents"])
        #expect(failing([item(price: .int(.max))]) == ["items[0].unit_price_cents"])
    }

    @Test(arguments: [JSONValue.double(1.5), .double(0.5), "3", true, .null, ["x"]])
    func numbersMustBeIntegers(_ bad: JSONValue) {
        #expect(failing([item(quantity: bad)]) == ["items[0].quantity"])
        #expect(failing([item(price: bad)]) == ["items[0].unit_price_cents"])
    }

    @Test func fractionalNumbersFromJSONAreRejected() {
        let errors = fieldErrors { () throws(ValidationFailure) in
            try CreateOrder(body: body(#"{"currency":"EUR","items":[{"sku":"a","quantity":1.5,"unit_price_cents":2.25}]}"#))
        }
        #expect(
            errors == [
                FieldError(field: "items[0].quantity", message: "must be an integer"),
                FieldError(field: "items[0].unit_price_cents", message: "must be an integer"),
            ])
    }

    @Test func exactValuedFractionsPassAsIntegers() throws {
        let c = try CreateOrder(body: body(#"{"currency":"EUR","items":[{"sku":"a","quantity":3.0,"unit_price_cents":1e2}]}"#))
        #expect(c.totalCents == 300)
    }

    @Test func skuMustBeAnIdentifier() {
        #expect(failing([item(sku: "_x")]) == ["items[0].sku"])
        #expect(failing([item(sku: "")]) == ["items[0].sku"])
        #expect(failing([item(sku: 5)]) == ["items[0].sku"])
        #expect(failing([["quantity": 1, "unit_price_cents": 1]]) == ["items[0].sku"])
    }

    @Test func itemsMustBeObjects() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try order([item(), "apple", 3]) } == [
                FieldError(field: "items[1]", message: "must be an object"),
                FieldError(field: "items[2]", message: "must be an object"),
            ])
    }

    @Test func reportsEveryBadLineByPath() {
        let fields = failing([item(), item(sku: "-", quantity: 0), item(), item(price: -5)], currency: "eur")
        #expect(fields == ["items[1].sku", "items[1].quantity", "items[3].unit_price_cents", "currency"])
    }

    @Test(arguments: ["EUR", "USD", "JPY", "CHF", "XCG", "SLE", "ZWG", "BOV", "XAU"])
    func activeCurrencies(_ code: String) throws {
        #expect(try order([item()], currency: .string(code)).currency == code)
    }

    @Test(arguments: [
        JSONValue("eur"), "Eur", "EURO", "EU", "", "ABC", "XYZ", "HRK", "SLL", "ANG", "DEM", " EUR", 978, .null,
    ])
    func rejectedCurrencies(_ code: JSONValue) {
        #expect(failing([item()], currency: code) == ["currency"])
    }

    @Test func totalIsExactIntegerArithmeticAndCannotOverflow() throws {
        let max = try order(Array(repeating: item(quantity: 10_000, price: 1_000_000_000_000), count: 100))
        #expect(max.totalCents == 1_000_000_000_000_000_000)
        // Above 2^53 a Double could not hold this odd total; integer cents keep it exact.
        let c = try order([item(quantity: 10_000, price: 900_719_925_475), item(quantity: 1, price: 1)])
        #expect(c.totalCents == 9_007_199_254_750_001)
    }

    @Test func orderItemEncodesSnakeCase() throws {
        let data = try JSONEncoder().encode(OrderItem(sku: "a", quantity: 2, unitPriceCents: 3))
        #expect(try jsonObject(data) == ["sku": "a", "quantity": 2, "unit_price_cents": 3])
    }
}
