/// `POST /v1/orders`: a customer places an order. Always valid once constructed.
public struct CreateOrder: Sendable, Equatable {
    /// The id the client chose, or nil for the server to assign one.
    public let orderId: String?
    /// 1–100 validated lines.
    public let items: [OrderItem]
    /// An active ISO 4217 code in upper case.
    public let currency: String
    /// The sum of quantity × unit price, computed here in integer cents so that nobody
    /// downstream needs to (or can) compute it differently.
    public let totalCents: Int64

    /// Validates a body `{"order_id"?, "items": [{"sku", "quantity", "unit_price_cents"}], "currency"}`.
    ///
    /// Decisions where the contract is silent:
    /// - `order_id` is optional and, when given, an identifier.
    /// - `sku` is an identifier.
    /// - `unit_price_cents` is at most 10^12. With at most 100 lines of at most 10,000 units the
    ///   total is at most 10^18 < `Int64.max`, so it can never overflow.
    /// - Quantities and prices must be JSON integers: `1.5` or `"3"` is an error.
    /// - `currency` must be an *active* code (list one of ISO 4217, see ``Currency``), upper
    ///   case only: `"eur"` is an error rather than silently normalised.
    /// - With more than 100 items the lines themselves are not checked, which keeps the error
    ///   list of an oversized body short.
    /// - Throws: Every invalid field of the body.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        let orderId = reader.identifier("order_id", required: false)
        var items: [OrderItem]?
        if let elements = reader.array("items") {
            if elements.isEmpty {
                reader.fail("items", "must contain at least 1 item")
            } else if elements.count > Self.maxItems {
                reader.fail("items", "must contain at most \(Self.maxItems) items")
            } else {
                items = Self.readItems(elements, into: &reader)
            }
        }
        var currency: String?
        if let code = reader.string("currency", required: true) {
            if Currency.isActive(code) {
                currency = code
            } else {
                reader.fail("currency", #"must be an active ISO 4217 currency code in upper case, e.g. "EUR""#)
            }
        }
        guard reader.errors.isEmpty, let items, let currency else { throw reader.failure }
        self.orderId = orderId
        self.items = items
        self.currency = currency
        // Cannot overflow: see the bounds above.
        self.totalCents = items.reduce(0) { $0 + $1.quantity * $1.unitPriceCents }
    }

    /// Validates each line, recording errors under `items[i]`; nil if any line is invalid.
    private static func readItems(_ elements: [JSONValue], into reader: inout BodyReader) -> [OrderItem]? {
        var items: [OrderItem] = []
        for (index, element) in elements.enumerated() {
            let path = "\(reader.field("items"))[\(index)]"
            guard case .object(let object) = element else {
                reader.fail(at: path, BodyReader.Message.object)
                continue
            }
            var line = BodyReader(object, path: path)
            let sku = line.identifier("sku", required: true)
            let quantity = line.integer("quantity", in: Self.quantityRange)
            let price = line.integer("unit_price_cents", in: Self.unitPriceRange)
            reader.merge(line)
            if let sku, let quantity, let price {
                items.append(OrderItem(sku: sku, quantity: quantity, unitPriceCents: price))
            }
        }
        return items.count == elements.count ? items : nil
    }

    /// The most lines an order may have.
    public static let maxItems = 100
    /// The allowed quantities of one line.
    public static let quantityRange: ClosedRange<Int64> = 1...10_000
    /// The allowed unit prices, in minor units.
    public static let unitPriceRange: ClosedRange<Int64> = 0...1_000_000_000_000
}
