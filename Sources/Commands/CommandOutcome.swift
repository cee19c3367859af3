import Domain
import EventStore

/// What running a command did.
public enum CommandOutcome: Sendable, Equatable {
    /// These events were appended; `result` says where.
    case appended([DomainEvent], AppendResult)
    /// Nothing was appended: the stream's event at `existingVersion` had already done it.
    case unchanged(existingVersion: Int64)
}
