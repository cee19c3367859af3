import Foundation
import NIOCore
import Synchronization

/// Runs `expired` once the token's expiry (read again each time, since an `auth` frame may move
/// it) has passed: a timer on the connection's event loop rather than a task per connection
/// that sleeps (a parked task costs a few KB of memory; a scheduled timer, a few hundred bytes).
final class ExpiryTimer: Sendable {
    private let eventLoop: any EventLoop
    private let expiresAt: @Sendable () -> Date
    private let expired: @Sendable () -> Void
    /// The pending timer; nil once cancelled (and then never scheduled again).
    private let scheduled = Mutex<(timer: Scheduled<Void>?, cancelled: Bool)>((nil, false))
    /// Timers fire at most this far apart: a far-future expiry is checked again, never turned
    /// into a delay that overflows.
    static let longestWait: TimeInterval = 3600

    init(eventLoop: any EventLoop, expiresAt: @escaping @Sendable () -> Date, expired: @escaping @Sendable () -> Void) {
        self.eventLoop = eventLoop
        self.expiresAt = expiresAt
        self.expired = expired
        schedule()
    }

    func cancel() {
        scheduled.withLock { state in
            state.timer?.cancel()
            state = (nil, true)
        }
    }

    private func schedule() {
        let remaining = min(max(expiresAt().timeIntervalSinceNow, 0), Self.longestWait)
        scheduled.withLock { state in
            guard !state.cancelled else { return }
            state.timer = eventLoop.scheduleTask(in: .milliseconds(Int64(remaining * 1000) + 1)) { [self] in
                if expiresAt().timeIntervalSinceNow <= 0 { expired() } else { schedule() }
            }
        }
    }
}
