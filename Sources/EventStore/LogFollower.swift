import Logging
import ServiceLifecycle

/// The loop every reader of the log runs: drain, then sleep until the doorbell rings.
///
/// `step` processes one batch and says whether to go on. Errors are logged and retried with
/// backoff (the database may be restarting); nothing is skipped, because progress is only what
/// a step committed.
public struct LogFollower: Sendable {
    public enum StepResult: Sendable {
        /// Caught up: wait for the next ring.
        case caughtUp
        /// A full batch was processed: run the next one now.
        case moreAvailable
        /// Newer commits exist but wait behind an older open transaction: look again shortly.
        case pendingCommits
    }

    let name: String
    let doorbell: Doorbell
    let logger: Logger

    public init(name: String, doorbell: Doorbell, logger: Logger) {
        self.name = name
        self.doorbell = doorbell
        self.logger = logger
    }

    public func run(step: @Sendable () async throws -> StepResult) async {
        let wakeups = doorbell.subscribe()
        await drain(step: step)
        for await _ in wakeups.cancelOnGracefulShutdown() {
            await drain(step: step)
        }
    }

    private func drain(step: @Sendable () async throws -> StepResult) async {
        var pendingDelay = Duration.milliseconds(1)
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                switch try await step() {
                case .caughtUp:
                    return
                case .moreAvailable:
                    pendingDelay = .milliseconds(1)
                case .pendingCommits:
                    // The older transaction is usually a few milliseconds from committing.
                    try await Task.sleep(for: pendingDelay)
                    pendingDelay = min(pendingDelay * 2, .milliseconds(100))
                }
                failures = 0
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.error("\(name) failed, retrying", metadata: [
                    "error": "\(LoggableError(error))", "attempt": "\(failures)",
                ])
                try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(failures, 6)))))
            }
        }
    }
}
