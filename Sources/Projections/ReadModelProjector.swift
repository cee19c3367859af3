import Domain
import EventStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Maintains the read tables (rooms, members, messages, orders, notifications) from the log.
///
/// Each batch is applied in one transaction together with the `read_model` checkpoint, so every
/// event is applied exactly once even if the process dies mid-batch. Several server processes
/// may run it: an advisory lock lets one at a time advance the checkpoint, and the others find
/// the work done. Woken by the doorbell; the doorbell's periodic ring is the polling fallback.
public final class ReadModelProjector: Service {
    static let checkpoint = Checkpoint(name: "read_model", lockKey: 1)
    let client: DatabasePool
    let doorbell: Doorbell
    let progress: ProjectionProgress
    let logger: Logger
    let batchSize: Int
    let undecodable: UndecodableEventReport

    public init(client: DatabasePool, doorbell: Doorbell, progress: ProjectionProgress, logger: Logger, batchSize: Int = 500) {
        self.client = client
        self.doorbell = doorbell
        self.progress = progress
        self.logger = logger
        self.batchSize = batchSize
        undecodable = UndecodableEventReport(reader: "read_model", logger: logger)
    }

    public func run() async throws {
        await LogFollower(name: "read-model projector", doorbell: doorbell, logger: logger).run {
            try await self.step()
        }
    }

    func step() async throws -> LogFollower.StepResult {
        let (position, page) = try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                let checkpoint = try await Self.checkpoint.lockAndRead(on: connection, logger: logger)
                let page = try await EventStore.readAll(after: checkpoint, limit: batchSize, on: connection, logger: logger)
                try await ReadModelWriter.apply(page.events, on: connection, logger: logger) { event, problem in
                    undecodable.report(event, reason: problem.reason.rawValue, detail: problem.detail, outcome: "skipped")
                }
                guard let last = page.events.last else { return (checkpoint, page) }
                // The read tables are derived from the log: this commit need not wait for the disk.
                try await Checkpoint.commitWithoutWaitingForDisk(on: connection, logger: logger)
                try await Self.checkpoint.store(last.position, on: connection, logger: logger)
                return (last.position, page)
            }
        }
        progress.advance(to: position)
        if page.events.count == batchSize { return .moreAvailable }
        return page.hasPendingCommits ? .pendingCommits : .caughtUp
    }
}
