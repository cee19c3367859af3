/// What the writer believes about a stream's version when it appends: optimistic concurrency.
public enum ExpectedVersion: Sendable, Equatable {
    /// Append whatever the stream's version is.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream must be exactly at this version (1-based; the version of its last event).
    case exactly(Int64)

    /// The encoding `append_events` understands: NULL = any, 0 = no stream, n = exactly n.
    var sqlValue: Int64? {
        switch self {
        case .any: nil
        case .noStream: 0
        case .exactly(let version): version
        }
    }
}
