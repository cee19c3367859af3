/// One line of an order: `{"sku", "quantity", "unit_price_cents"}`.
public struct OrderItem: Codable, Sendable, Equatable {
    /// The product, an identifier.
    public var sku: String
    /// How many, 1–10,000.
    public var quantity: Int64
    /// The price of one unit in the currency's minor unit, 0–1,000,000,000,000.
    public var unitPriceCents: Int64

    /// Creates an order line.
    public init(sku: String, quantity: Int64, unitPriceCents: Int64) {
        self.sku = sku
        self.quantity = quantity
        self.unitPriceCents = unitPriceCents
    }

    enum CodingKeys: String, CodingKey {
        case sku
        case quantity
        case unitPriceCents = "unit_price_cents"
    }
}
