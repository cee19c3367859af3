import Foundation

/// Why this build cannot read a stored event as a ``DomainEvent``.
///
/// One rule for every reader of the log (projector, reactor, live feed): such an event is
/// logged and counted, the projector and the reactor move past it, and clients still receive
/// it, live exactly as on replay, on the topic its stream belongs to (they ignore types they do
/// not know). A log written by a newer build, or a row someone repaired by hand, then neither
/// stalls the read model nor vanishes from one delivery path only.
public struct UndecodableEvent: Error, Sendable, Equatable {
    public enum Reason: String, Sendable {
        /// A type this build does not know: a newer build may have written it.
        case unknownType = "unknown_type"
        /// A known type whose data does not match it.
        case malformedData = "malformed_data"
    }

    public var reason: Reason
    /// Where the data failed to match (a field path), never a value from it: logs must not
    /// carry message text.
    public var detail: String

    public init(reason: Reason, detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// Describes `error` by its coding path and kind only.
    init(malformed error: any Error) {
        let detail: String
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            detail = "missing \(Self.path(context.codingPath + [key]))"
        case DecodingError.valueNotFound(_, let context):
            detail = "null at \(Self.path(context.codingPath))"
        case DecodingError.typeMismatch(let type, let context):
            detail = "\(Self.path(context.codingPath)) is not \(type)"
        case DecodingError.dataCorrupted(let context):
            detail = "invalid value at \(Self.path(context.codingPath))"
        default:
            detail = "undecodable data"
        }
        self.init(reason: .malformedData, detail: detail)
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "data" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

extension DomainEvent {
    /// The event, or why this build cannot read it (see ``UndecodableEvent`` for what readers do).
    public static func read(type: String, data: Data) -> Result<DomainEvent, UndecodableEvent> {
        do {
            guard let event = try decode(type: type, data: data) else {
                return .failure(UndecodableEvent(reason: .unknownType, detail: "unknown type"))
            }
            return .success(event)
        } catch {
            return .failure(UndecodableEvent(malformed: error))
        }
    }
}
