import Foundation

extension DomainEvent {
    /// The event's `data` as a JSON object with sorted keys.
    ///
    /// Sorted keys make the stored bytes deterministic, so equal events are byte-equal and an
    /// idempotent retry can be compared with what was stored. Slashes are not escaped: the
    /// text is stored as clients wrote it.
    public func encodedData() throws -> Data {
        // A fresh encoder per call: cheap, and nothing mutable is shared between tasks.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .roomCreated(let e): return try encoder.encode(e)
        case .memberJoined(let e): return try encoder.encode(e)
        case .memberLeft(let e): return try encoder.encode(e)
        case .messagePosted(let e): return try encoder.encode(e)
        case .orderCreated(let e): return try encoder.encode(e)
        case .notificationSent(let e): return try encoder.encode(e)
        case .notificationRead(let e): return try encoder.encode(e)
        }
    }

    /// Rebuilds an event from its stored type and data.
    ///
    /// - Parameters:
    ///   - type: The event type as stored, e.g. `chat.member_joined`.
    ///   - data: The event's `data` JSON object.
    /// - Returns: The event, or `nil` when `type` is not one this version knows. Unknown types
    ///   are skipped rather than fatal so that an older server can still read a log that a
    ///   newer one has written to.
    /// - Throws: `DecodingError` when the type is known but the data does not match it.
    public static func decode(type: String, data: Data) throws -> DomainEvent? {
        let decoder = JSONDecoder()
        switch type {
        case RoomCreated.eventType: return .roomCreated(try decoder.decode(RoomCreated.self, from: data))
        case MemberJoined.eventType: return .memberJoined(try decoder.decode(MemberJoined.self, from: data))
        case MemberLeft.eventType: return .memberLeft(try decoder.decode(MemberLeft.self, from: data))
        case MessagePosted.eventType: return .messagePosted(try decoder.decode(MessagePosted.self, from: data))
        case OrderCreated.eventType: return .orderCreated(try decoder.decode(OrderCreated.self, from: data))
        case NotificationSent.eventType:
            return .notificationSent(try decoder.decode(NotificationSent.self, from: data))
        case NotificationRead.eventType:
            return .notificationRead(try decoder.decode(NotificationRead.self, from: data))
        default: return nil
        }
    }
}
