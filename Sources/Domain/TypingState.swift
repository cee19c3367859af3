/// Whether a user started or stopped typing.
public enum TypingState: String, Codable, Sendable {
    /// The user is typing; expires 5 s after the last `started`.
    case started
    /// The user stopped typing.
    case stopped
}
