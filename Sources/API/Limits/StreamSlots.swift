import Metrics
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

        /// Why `user` may not open another stream now, or nil.
        func refusal(for user: String) -> APIError? {
            let detail: String
            if byUser[user, default: 0] >= perUser {
                detail = "too many open streams (WebSocket and SSE) for this user; close one or retry later"
            } else if open >= total {
                detail = "the server holds as many streams as it allows; retry later"
            } else {
                return nil
            }
            return .init(status: .tooManyRequests, code: "rate_limited", detail: detail, retryAfter: StreamSlots.retryAfter)
        }

        mutating func take(for user: String) throws(APIError) {
            if let refusal = refusal(for: user) { throw refusal }
            open += 1
            byUser[user, default: 0] += 1
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

    /// A slot for one of `user`'s streams; at either cap, the 429 to answer.
    func take(for user: String) throws(APIError) -> Slot {
        do {
            try counts.withLock { (counts) throws(APIError) in try counts.take(for: user) }
        } catch {
            Self.countRefusal()
            throw error
        }
        return Slot { [self] in counts.withLock { $0.give(for: user) } }
    }

    /// The refusal `user` would get now, if any (what a refused WebSocket upgrade is answered).
    func refusal(for user: String) -> APIError? {
        let refusal = counts.withLock { $0.refusal(for: user) }
        if refusal != nil { Self.countRefusal() }
        return refusal
    }

    /// `tideline_rate_limited_total{limit="streams"}`.
    private static func countRefusal() {
        Counter(label: "tideline_rate_limited_total", dimensions: [("limit", "streams")]).increment()
    }
}
