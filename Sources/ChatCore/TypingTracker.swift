/// Who else is typing in the current room, and the line that says so.
///
/// The server sends `stopped` when a `started` expires (5 s), so no timer is needed; the
/// tracker still forgets a typist after `expiry` in case that `stopped` is lost with a
/// connection.
public struct TypingTracker: Sendable {
    public let me: String
    public let expiry: Duration
    /// Typists in the order they started, each with the moment they are forgotten.
    private var typists: [(user: String, until: ContinuousClock.Instant)] = []

    public init(me: String, expiry: Duration = .seconds(6)) {
        self.me = me
        self.expiry = expiry
    }

    public var users: [String] { typists.map(\.user) }

    /// Returns true if the line changed.
    @discardableResult
    public mutating func started(_ user: String, at now: ContinuousClock.Instant) -> Bool {
        guard user != me else { return false }
        if let index = typists.firstIndex(where: { $0.user == user }) {
            typists[index].until = now + expiry
            return false
        }
        typists.append((user, now + expiry))
        return true
    }

    /// A `stopped` signal, or a message from that user (posting ends typing).
    @discardableResult
    public mutating func stopped(_ user: String) -> Bool {
        let before = typists.count
        typists.removeAll { $0.user == user }
        return typists.count != before
    }

    /// Forgets typists whose signal is overdue; true if the line changed.
    @discardableResult
    public mutating func expire(at now: ContinuousClock.Instant) -> Bool {
        let before = typists.count
        typists.removeAll { $0.until <= now }
        return typists.count != before
    }

    /// Forgets everyone (the connection dropped: the signals in flight are lost).
    public mutating func clear() { typists.removeAll() }

    /// "bob is typing…", "bob and carol are typing…", "bob, carol and dave are typing…",
    /// "bob, carol and 2 others are typing…"; nil when nobody is.
    public var line: String? { Self.describe(users) }

    public static func describe(_ users: [String]) -> String? {
        switch users.count {
        case 0: nil
        case 1: "\(users[0]) is typing…"
        case 2: "\(users[0]) and \(users[1]) are typing…"
        case 3: "\(users[0]), \(users[1]) and \(users[2]) are typing…"
        default: "\(users[0]), \(users[1]) and \(users.count - 2) others are typing…"
        }
    }
}
