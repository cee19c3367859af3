import Synchronization

/// Serialises the commands of one process on each stream: a command waits for the one before it
/// on the same stream, so commands sent by one process never conflict with each other, and the
/// in-process snapshot a command decides on is always the one the previous command left.
///
/// Waiters are served in arrival order. Commands on different streams never wait for each other.
final class StreamLocks: Sendable {
    /// For each held stream, the commands waiting for it.
    private let waiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    init() {}

    /// Runs `body` holding the lock of `stream`.
    func withLock<Result>(_ stream: String, _ body: () async throws -> sending Result) async throws -> sending Result {
        await acquire(stream)
        defer { release(stream) }
        return try await body()
    }

    private func acquire(_ stream: String) async {
        let free = waiters.withLock { waiters in
            guard waiters[stream] == nil else { return false }
            waiters[stream] = []
            return true
        }
        if free { return }
        await withCheckedContinuation { continuation in
            let freeNow = waiters.withLock { waiters in
                guard waiters[stream] != nil else {
                    waiters[stream] = []
                    return true
                }
                waiters[stream]!.append(continuation)
                return false
            }
            if freeNow { continuation.resume() }
        }
    }

    /// Hands the lock to the next waiter, or frees it.
    private func release(_ stream: String) {
        let next = waiters.withLock { waiters -> CheckedContinuation<Void, Never>? in
            guard var queue = waiters[stream], !queue.isEmpty else {
                waiters[stream] = nil
                return nil
            }
            let next = queue.removeFirst()
            waiters[stream] = queue
            return next
        }
        next?.resume()
    }
}
