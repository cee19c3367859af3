import Synchronization

/// Caps on open live streams, WebSockets and SSE streams together: per user and in total.
///
/// One client opening streams in a loop would otherwise take every file descriptor and all the
/// memory the server has, for everyone. A stream holds a slot from before its handshake is
/// answered until it ends; a refusal is a 429 problem with `Retry-After`, before any upgrade.
public final class StreamSlots: Sendable {
    /// Who holds how many slots, as a value.
    struct Counts {
        let perUser: Int
        let total: Int
        private(set) var byUser: [String: Int] = [:]
        private(set) var open = 0

        init(perUser: Int, total: Int) {
            self.perUser = perUser
            self.total = total
        }

        func hasRoom(for user: String) -> Bool { open < total && byUser[user, default: 0] < perUser }

        mutating func take(for user: String) -> Bool {
            guard hasRoom(for: user) else { return false }
            open += 1
            byUser[user, default: 0] += 1
            return true
        }

        mutating func give(for user: String) {
            open -= 1
            let left = byUser[user, default: 1] - 1
            byUser[user] = left > 0 ? left : nil
        }
    }

    /// A held slot: given back when the last reference to it goes, however the stream ended
    /// (or if it never started).
    final class Slot: Sendable {
        private let giveBack: @Sendable () -> Void
        init(_ giveBack: @escaping @Sendable () -> Void) { self.giveBack = giveBack }
        deinit { giveBack() }
    }

    /// Seconds a refused client is told to wait.
    static let retryAfter = 5
    private let counts: Mutex<Counts>

    public init(perUser: Int, total: Int) {
        counts = Mutex(Counts(perUser: perUser, total: total))
    }

    /// A slot for one of `user`'s streams, or nil at either cap.
    func take(for user: String) -> Slot? {
        guard counts.withLock({ $0.take(for: user) }) else { return nil }
        return Slot { [self] in counts.withLock { $0.give(for: user) } }
    }

    /// The refusal `user` gets now, if any.
    func refusal(for user: String) -> APIError? {
        let (room, perUserFull) = counts.withLock { ($0.hasRoom(for: user), $0.byUser[user, default: 0] >= $0.perUser) }
        if room { return nil }
        let detail = perUserFull
            ? "too many open streams (WebSocket and SSE) for this user; close one or retry later"
            : "the server holds as many streams as it allows; retry later"
        return .init(status: .tooManyRequests, code: "rate_limited", detail: detail, retryAfter: Self.retryAfter)
    }

    /// Streams open now (tests, metrics).
    public var openCount: Int { counts.withLock { $0.open } }
}
