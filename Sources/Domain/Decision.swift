/// The outcome of a command that may already have had its effect.
///
/// Joining a room one is in, or marking a read notification read, is not an error: the
/// contract answers 200 with the id of the event that had the effect. `unchanged` carries that
/// event's stream version so the API can look up its global id.
public enum Decision: Sendable, Equatable {
    /// Append these events to the stream.
    case append([DomainEvent])
    /// Nothing to append: the stream event at `existingVersion` already did it.
    case unchanged(existingVersion: Int64)
}
