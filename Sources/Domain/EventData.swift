/// The `data` payload of one event type: a value that knows its contract type name.
///
/// Each conforming struct maps its Swift camelCase properties to the contract's snake_case
/// keys through `CodingKeys`; decoding ignores keys it does not know, so fields added in later
/// versions (the contract allows that) do not break older readers.
public protocol EventData: Codable, Sendable, Equatable {
    /// The contract's event type, e.g. `chat.room_created`.
    static var eventType: String { get }
}
