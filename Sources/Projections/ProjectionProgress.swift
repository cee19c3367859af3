import Synchronization

/// How far the read model has been projected, and a way to wait for it (`min_event_id`).
public final class ProjectionProgress: Sendable {
    private struct Waiter {
        var id: Int
        var position: Int64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var position: Int64 = 0
        var nextWaiterID = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// The highest event id whose effects the read tables show.
    public var position: Int64 { state.withLock { $0.position } }

    /// Records progress (never backwards) and wakes those waiting for it.
    public func advance(to position: Int64) {
        let ready = state.withLock { state -> [Waiter] in
            guard position > state.position else { return [] }
            state.position = position
            let ready = state.waiters.filter { $0.position <= position }
            state.waiters.removeAll { $0.position <= position }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Waits until the read tables show event `position`, at most `timeout`.
    /// - Returns: whether they do.
    public func wait(for position: Int64, timeout: Duration) async -> Bool {
        if self.position >= position { return true }
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let reached = self.state.withLock { state -> Bool in
                        if state.position >= position { return true }
                        state.waiters.append(Waiter(id: id, position: position, continuation: continuation))
                        return false
                    }
                    if reached { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.release(waiterID: id)
            }
            await group.next()
            group.cancelAll()
        }
        return self.position >= position
    }

    /// Resumes one waiter whose time ran out (or whose task was cancelled), if still waiting.
    private func release(waiterID: Int) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == waiterID }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume()
    }
}
