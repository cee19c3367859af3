import Foundation
import Synchronization

/// Tokens this process has verified lately, with the caller each names: a client sends the same
/// token with every request, and checking its signature and decoding its claims again each time
/// is a good part of a command's CPU time.
///
/// The key is the whole token, signature included, so only a token that verified before is
/// found here; its expiry is checked on every use. At most `capacity` tokens are kept: when full,
/// expired ones are dropped, and if that is not enough, all of them (they verify again).
final class VerifiedTokens: Sendable {
    private let callers = Mutex<[String: Caller]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The caller of a token verified before, if it has not expired by `now`.
    func caller(for token: String, now: Date = Date()) -> Caller? {
        callers.withLock { callers in
            guard let caller = callers[token] else { return nil }
            guard caller.expiresAt > now else {
                callers[token] = nil
                return nil
            }
            return caller
        }
    }

    func remember(_ caller: Caller, for token: String, now: Date = Date()) {
        callers.withLock { callers in
            if callers.count >= capacity {
                callers = callers.filter { $0.value.expiresAt > now }
                if callers.count >= capacity { callers.removeAll(keepingCapacity: true) }
            }
            callers[token] = caller
        }
    }
}
