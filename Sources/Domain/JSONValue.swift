import Foundation

/// A JSON object as clients send it: the input of every command's validation.
public typealias JSONObject = [String: JSONValue]

/// Any JSON value, decoded without losing what the client actually sent.
///
/// Command bodies are decoded into `JSONValue` first and validated field by field afterwards,
/// so that a body with several bad fields can be answered with all of its errors at once
/// (a `Decodable` command struct would stop at the first one).
///
/// ```swift
/// let body = try JSONDecoder().decode(JSONObject.self, from: request.body)
/// let command = try CreateRoom(body: body)
/// ```
public enum JSONValue: Codable, Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without a fraction that fits in `Int64`, kept exact.
    case int(Int64)
    /// Any other number.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes a value, trying the narrowest representation first.
    ///
    /// Bool comes before the numbers so that `true` never becomes `1`; `Int64` comes before
    /// `Double` so that integers above 2^53 (prices, ids) stay exact instead of being rounded.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "Not a JSON value this server can represent")
        }
    }

    /// Encodes the value as the JSON it was decoded from.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
