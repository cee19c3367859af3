import EventStore
import Foundation
import Metrics
import Logging
import PostgresNIO
import ServiceLifecycle

/// The one reader of the log per process: follows it from the head at start-up (doorbell plus
/// gap-free reads) and publishes every event to the hub. No connection polls the database.
public final class EventFeed: Service {
    let store: EventStore
    let hub: Hub
    let doorbell: Doorbell
    let logger: Logger
    let batchSize: Int
    let undecodable: UndecodableEventReport

    public init(store: EventStore, hub: Hub, doorbell: Doorbell, logger: Logger, batchSize: Int = 500) {
        self.store = store
        self.hub = hub
        self.doorbell = doorbell
        self.logger = logger
        self.batchSize = batchSize
        undecodable = UndecodableEventReport(reader: "live_feed", logger: logger)
    }

    /// `tideline_delivery_latency_seconds`: from a command's acceptance (`occurred_at`, the
    /// database's clock) to its event reaching this process's hub, for the newest event of each
    /// batch (a sample, not every event: the feed stays cheap under load). It includes any time
    /// the event was held behind an older open transaction.
    static func sampleLatency(of event: RecordedEvent) {
        guard let accepted = try? Date(event.occurredAt, strategy: Self.occurredAtFormat) else { return }
        latency.recordSeconds(max(0, Date().timeIntervalSince(accepted)))
    }

    static let occurredAtFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static let latency = Metrics.Timer(label: "tideline_delivery_latency_seconds", preferredDisplayUnit: .seconds)

    public func run() async throws {
        // Retry until the database answers: nothing can be served live before we know the head.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                hub.start(at: try await store.safeHeadPosition())
                break
            } catch {
                logger.warning("event feed waiting for the database", metadata: ["error": "\(LoggableError(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        await LogFollower(name: "event feed", doorbell: doorbell, logger: logger).run {
            let page = try await self.store.readAll(after: self.hub.position, limit: self.batchSize)
            self.hub.publish(page.events.map { recorded in
                let event = FeedEvent(recorded)
                if let problem = event.undecodable {
                    self.undecodable.report(recorded, reason: problem.reason.rawValue, detail: problem.detail, outcome: "delivered as stored")
                }
                return event
            })
            if let newest = page.events.last { Self.sampleLatency(of: newest) }
            if page.events.count == self.batchSize { return .moreAvailable }
            return page.hasPendingCommits ? .pendingCommits : .caughtUp
        }
    }
}
