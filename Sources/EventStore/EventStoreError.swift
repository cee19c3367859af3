/// Errors of the event store a caller may act on. Database failures stay `PSQLError`s (logged,
/// never shown to clients); these are the ones with a meaning.
public struct EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// Optimistic concurrency: the stream was not at the expected version.
        case wrongExpectedVersion
    }

    public let code: Code
    public let stream: String
    public let detail: String

    public static func wrongExpectedVersion(stream: String, detail: String) -> Self {
        .init(code: .wrongExpectedVersion, stream: stream, detail: detail)
    }

    public var description: String { "\(code) on \(stream): \(detail)" }
}
