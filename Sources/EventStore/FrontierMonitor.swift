import Logging
import Metrics
import ServiceLifecycle

/// Samples the ``Frontier`` every few seconds into gauges, and warns while events are held:
/// - `tideline_frontier_held_events`: committed events no reader may see yet;
/// - `tideline_frontier_age_seconds`: how long the oldest of them has waited;
/// - `tideline_oldest_transaction_seconds`: the age of the oldest transaction holding an id;
/// - `tideline_projection_lag_events{projection}` and `tideline_projection_lag_seconds{projection}`:
///   how far the read-model projector (`read_model`) and the order reactor
///   (`order_notifications`) are behind the safe head. The reactor stores its position at most
///   once a second while it only skips chat traffic, so its lag reads up to a second high.
public struct FrontierMonitor: Service {
    let store: EventStore
    let interval: Duration
    /// Held this long, events are worth a warning (a command commits in milliseconds).
    let warnAfterSeconds: Double
    let logger: Logger

    public init(store: EventStore, interval: Duration = .seconds(5), warnAfterSeconds: Double = 10, logger: Logger) {
        self.store = store
        self.interval = interval
        self.warnAfterSeconds = warnAfterSeconds
        self.logger = logger
    }

    public func run() async throws {
        let held = Gauge(label: "tideline_frontier_held_events")
        let age = Gauge(label: "tideline_frontier_age_seconds")
        let oldest = Gauge(label: "tideline_oldest_transaction_seconds")
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let frontier = try await store.frontier()
                    held.record(frontier.heldEvents)
                    age.record(frontier.heldSeconds)
                    oldest.record(frontier.oldestTransaction?.seconds ?? 0)
                    for lag in try await store.checkpointLags() {
                        Gauge(label: "tideline_projection_lag_events", dimensions: [("projection", lag.reader)]).record(lag.events)
                        Gauge(label: "tideline_projection_lag_seconds", dimensions: [("projection", lag.reader)]).record(lag.seconds)
                    }
                    if frontier.heldSeconds >= warnAfterSeconds {
                        logger.warning("live delivery and projections are held back by an open transaction", metadata: [
                            "held_events": "\(frontier.heldEvents)", "held_seconds": "\(Int(frontier.heldSeconds))",
                            "holder_pid": "\(frontier.oldestTransaction.map { String($0.pid) } ?? "not visible to this role")",
                            "holder_application": "\(frontier.oldestTransaction?.applicationName ?? "")",
                            "holder_state": "\(frontier.oldestTransaction?.state ?? "")",
                        ])
                    }
                } catch {
                    logger.debug("could not sample the frontier", metadata: ["error": "\(LoggableError(error))"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
