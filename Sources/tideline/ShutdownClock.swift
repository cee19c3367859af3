import Logging
import ServiceLifecycle
import Synchronization

/// Notes when graceful shutdown began, so the process can say how long it took and whether it
/// ran past its limit (ServiceGroup then cancels what is left and says so only at debug level).
///
/// Put it last in the group: services stop in reverse order, so it hears the signal first.
final class ShutdownClock: Service {
    private let began = Mutex<ContinuousClock.Instant?>(nil)

    func run() async throws {
        try await gracefulShutdown()
        began.withLock { $0 = .now }
    }

    /// Logs how long shutdown took: a warning beyond `limit` (cancellation cut work short).
    func report(limit: Duration, logger: Logger) {
        guard let began = began.withLock({ $0 }) else { return }
        let took = ContinuousClock.now - began
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
        let metadata: Logger.Metadata = ["seconds": "\((seconds * 1000).rounded() / 1000)", "limit_seconds": "\(limit.components.seconds)"]
        if took > limit {
            logger.warning("graceful shutdown took longer than its limit: what was left was cancelled", metadata: metadata)
        } else {
            logger.info("shut down", metadata: metadata)
        }
    }
}
