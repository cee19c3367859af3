import Synchronization

/// Starts many long-lived connections with at most `limit` in their handshake at once.
///
/// Opening 10,000 sockets at once overflows the listen backlog and times handshakes out; a
/// bounded number in flight opens them as fast as the server accepts them. A connection gives
/// its slot back when it is open (or has failed), then lives on in the task group.
enum OpeningGate {
    /// One connection's place in the handshake limit, given back once.
    final class Slot: Sendable {
        private let giveBack: AsyncStream<Void>.Continuation
        private let released = Mutex(false)

        fileprivate init(_ giveBack: AsyncStream<Void>.Continuation) { self.giveBack = giveBack }

        /// Whether the connection opened (and so gave its slot back).
        var isReleased: Bool { released.withLock { $0 } }

        /// Gives the slot back: the connection is open, or has failed.
        func release() {
            if released.withLock({ let was = $0; $0 = true; return !was }) { giveBack.yield() }
        }
    }

    /// - Parameter connection: runs one connection; calls `slot.release()` once it is usable.
    static func launch(
        count: Int, limit: Int, in group: inout TaskGroup<Void>,
        connection: @escaping @Sendable (_ index: Int, _ slot: Slot) async -> Void
    ) async {
        let (slots, giveBack) = AsyncStream<Void>.makeStream()
        for _ in 0..<limit { giveBack.yield() }
        var iterator = slots.makeAsyncIterator()
        for index in 0..<count {
            guard await iterator.next() != nil else { break }
            let slot = Slot(giveBack)
            group.addTask {
                await connection(index, slot)
                slot.release()
            }
        }
        giveBack.finish()
    }
}

/// How many connections are open or failed, watched by the task that waits for them.
final class ConnectionTally: Sendable {
    private let counts = Mutex((opened: 0, failed: 0, dropped: 0))
    private let firstError = Mutex<String?>(nil)

    var opened: Int { counts.withLock { $0.opened } }
    var failed: Int { counts.withLock { $0.failed } }
    var firstFailure: String? { firstError.withLock { $0 } }

    /// Connections that ended with an error after they had opened (closed by the server).
    var dropped: Int { counts.withLock { $0.dropped } }

    func open() { counts.withLock { $0.opened += 1 } }

    /// Records how a connection ended with `error`: it failed to open, or it dropped after
    /// opening. Errors from our own cancellation at the end of a run are not failures.
    func fail(_ error: any Error, opened: Bool) {
        guard !Task.isCancelled else { return }
        counts.withLock { if opened { $0.dropped += 1 } else { $0.failed += 1 } }
        firstError.withLock { $0 = $0 ?? String(describing: error) }
    }

    /// Waits until `count` connections have opened or failed, or `timeout` has passed.
    func waitForAll(_ count: Int, timeout: Duration, what: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var nextReport = clock.now + .seconds(2)
        while opened + failed < count, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            if clock.now >= nextReport {
                progress("\(what): \(opened) open, \(failed) failed of \(count)")
                nextReport = clock.now + .seconds(2)
            }
        }
        if failed > 0 { progress("\(what): \(failed) failed; first: \(firstFailure ?? "?")") }
    }
}
