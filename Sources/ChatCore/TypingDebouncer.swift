/// A typing signal this client sends (contract section 6, `typing` frame).
public enum TypingSignal: String, Sendable, Equatable {
    case started, stopped
}

/// Decides when to send `started` and `stopped` from edits to the input line.
///
/// - The first edit sends `started`; continued typing renews it every `renewal`, below the
///   server's 5 s expiry so the indicator does not flicker for a steady typist. (The server
///   relays at most one `started` per 2 s anyway.)
/// - `idle` without an edit sends `stopped`, as does emptying the line or submitting it.
///
/// Time is passed in, so tests drive it without waiting.
public struct TypingDebouncer: Sendable {
    public let idle: Duration
    public let renewal: Duration
    private var lastStarted: ContinuousClock.Instant?
    private var lastEdit: ContinuousClock.Instant?

    public init(idle: Duration = .seconds(2), renewal: Duration = .seconds(3)) {
        self.idle = idle
        self.renewal = renewal
    }

    public var isTyping: Bool { lastStarted != nil }

    /// The input line changed; `isEmpty` tells whether anything is left on it.
    public mutating func edited(at now: ContinuousClock.Instant, isEmpty: Bool) -> TypingSignal? {
        if isEmpty { return stop() }
        lastEdit = now
        if let started = lastStarted, now - started < renewal { return nil }
        lastStarted = now
        return .started
    }

    /// Time passed; sends `stopped` once the typist has paused for `idle`.
    public mutating func tick(at now: ContinuousClock.Instant) -> TypingSignal? {
        guard isTyping, let edit = lastEdit, now - edit >= idle else { return nil }
        return stop()
    }

    /// The line was submitted or abandoned: `stopped` if `started` was sent.
    public mutating func stop() -> TypingSignal? {
        lastEdit = nil
        guard lastStarted != nil else { return nil }
        lastStarted = nil
        return .stopped
    }

    /// Forgets the state without a signal (the connection it was sent on is gone).
    public mutating func reset() {
        lastStarted = nil
        lastEdit = nil
    }
}
