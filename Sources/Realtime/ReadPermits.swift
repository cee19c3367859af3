import Synchronization

/// A counting semaphore for reads of the log: at most `count` bodies run at once, the others
/// wait in order.
///
/// Replays share the reader pool with the projector, the reactor and the live feed, which hold
/// at most one connection each. Without a bound, a burst of clients resuming from far back takes
/// every connection of that pool with replay pages, and live delivery and the read model stall
/// behind them. Replay pages take a permit; there are fewer permits than connections.
public final class ReadPermits: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(count: Int) {
        precondition(count >= 1, "at least one permit")
        state = Mutex(State(available: count))
    }

    /// Runs `body` once a permit is free, and frees it after. Throws `CancellationError` if
    /// the task is cancelled while it waits.
    public func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Decided under the lock, resumed outside it, exactly once: a waiter that is
                // queued is resumed by `release` or, if cancelled, by the handler below.
                enum Outcome { case granted, queued, cancelled }
                let outcome = state.withLock { state -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if state.available > 0 && state.waiters.isEmpty {
                        state.available -= 1
                        return .granted
                    }
                    state.waiters.append((id, continuation))
                    return .queued
                }
                switch outcome {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiters.isEmpty {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }

    /// Permits free now (tests).
    var available: Int { state.withLock { $0.available } }
}
