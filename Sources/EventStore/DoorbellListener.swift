import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Listens on the doorbell channel over a dedicated connection and rings the local `Doorbell`
/// for every notification another process sent, so its commits wake this one's readers.
///
/// When the connection dies (backend killed, PostgreSQL restarted) it reconnects with capped
/// exponential backoff and rings once connected again: notifications sent meanwhile were lost,
/// and the ring makes every reader catch up from the store.
public final class DoorbellListener: Service {
    private let configuration: PostgresConnection.Configuration
    private let doorbell: Doorbell
    private let logger: Logger
    private let connected = Atomic<Bool>(false)
    private let signals: [(channel: String, handler: @Sendable (String) -> Void)]

    /// - Parameter signals: more channels, each of whose payloads go to its `handler` (typing
    ///   signals, presence changes).
    public init(
        configuration: PostgresConnection.Configuration, doorbell: Doorbell, logger: Logger,
        signals: [(channel: String, handler: @Sendable (String) -> Void)] = []
    ) {
        self.configuration = configuration
        self.doorbell = doorbell
        self.logger = logger
        self.signals = signals
    }

    /// Whether the LISTEN connection is up (`/ready` reports it).
    public var isConnected: Bool { connected.load(ordering: .relaxed) }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.listenUntilCancelled() }
        connected.store(false, ordering: .relaxed)
    }

    private func listenUntilCancelled() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await listenOnce()
            } catch {
                // A connection that had been up starts the backoff afresh.
                let wasConnected = connected.exchange(false, ordering: .relaxed)
                if Task.isCancelled { break }
                failures = wasConnected ? 1 : failures + 1
                Counter(label: "tideline_doorbell_reconnects_total").increment()
                logger.warning("doorbell listener disconnected", metadata: [
                    "error": "\(LoggableError(error))", "attempt": "\(failures)",
                ])
            }
            if Task.isCancelled { break }
            try? await Task.sleep(for: Self.backoff(afterFailures: failures))
        }
    }

    private func listenOnce() async throws {
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 0, logger: logger
        )
        do {
            try await connection.listen(on: DoorbellChannel.name) { notifications in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for signal in signals {
                        group.addTask {
                            try await connection.listen(on: signal.channel) { payloads in
                                for try await notification in payloads { signal.handler(notification.payload) }
                            }
                        }
                    }
                    group.addTask {
                        self.connected.store(true, ordering: .relaxed)
                        self.logger.debug("doorbell listener connected")
                        // Anything committed while we were not listening: read it now.
                        self.doorbell.ring()
                        // This process's own NOTIFYs come back here too: its readers were rung
                        // when the commit was acknowledged, and a second ring would only make each
                        // of them read the log again and find nothing (three reads a commit).
                        for try await notification in notifications where notification.payload != self.doorbell.origin {
                            self.doorbell.ring()
                        }
                    }
                    // Either sequence ending means the connection is gone: reconnect both.
                    try await group.next()
                    group.cancelAll()
                    throw CancellationError()
                }
            }
        } catch {
            // A connection that is never closed traps in debug builds, also when its backend died.
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// 100 ms, doubling per consecutive failure, capped at 5 s, with up to 25% jitter so that
    /// many processes do not reconnect in lockstep after a database restart.
    static func backoff(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .milliseconds(50) }
        let base = min(5_000, 100 << min(failures - 1, 6))
        return .milliseconds(base + Int.random(in: 0...(base / 4)))
    }
}
