import Commands
import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Sends each customer a notification for each order they create, exactly once.
///
/// One order per transaction: the notification's append and the `order_notifications`
/// checkpoint commit together, so a process killed at any moment neither loses nor repeats a
/// notification. When no order is left, the checkpoint moves to the position the read covered,
/// under the same lock, so other traffic is read once, not again at every wake-up. The
/// notification id is derived from the order's event id, and the decision also refuses to send
/// an id twice, as a second line of defence.
public final class OrderNotificationReactor: Service {
    static let checkpoint = Checkpoint(name: "order_notifications", lockKey: 2)
    let client: PostgresClient
    let doorbell: Doorbell
    let ringer: DoorbellRinger
    let logger: Logger

    public init(client: PostgresClient, doorbell: Doorbell, ringer: DoorbellRinger, logger: Logger) {
        self.client = client
        self.doorbell = doorbell
        self.ringer = ringer
        self.logger = logger
    }

    public func run() async throws {
        await LogFollower(name: "order notification reactor", doorbell: doorbell, logger: logger).run {
            try await self.step()
        }
    }

    func step() async throws -> LogFollower.StepResult {
        let (result, appended) = try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection -> (LogFollower.StepResult, Bool) in
                let checkpoint = try await Self.checkpoint.lockAndRead(on: connection, logger: logger)
                let page = try await EventStore.readAll(
                    after: checkpoint, limit: 1, types: [OrderCreated.eventType], on: connection, logger: logger
                )
                guard let recorded = page.events.first else {
                    // No order up to the safe head: move past the chat traffic there, so the next
                    // wake-up starts from here instead of rescanning from the last order. Nothing
                    // rides on this commit, so it does not wait for the disk.
                    if page.coveredUpTo > checkpoint {
                        try await Checkpoint.commitWithoutWaitingForDisk(on: connection, logger: logger)
                        try await Self.checkpoint.store(page.coveredUpTo, on: connection, logger: logger)
                    }
                    return (page.hasPendingCommits ? .pendingCommits : .caughtUp, false)
                }
                guard case .orderCreated(let order) = try DomainEvent.decode(type: recorded.type, data: Data(recorded.data.utf8)) else {
                    try await Self.checkpoint.store(recorded.position, on: connection, logger: logger)
                    return (.moreAvailable, false)
                }
                let notification = Notifications.reaction(to: order, orderEventId: recorded.position)
                let metadata = CommandMetadata(
                    actor: "system",
                    commandID: "order-notification-\(recorded.position)",
                    correlationID: Self.correlationID(of: recorded),
                    causationID: String(recorded.position)
                )
                let (outcome, _) = try await CommandExecutor.execute(
                    stream: StreamName.notifications(forUser: notification.userId),
                    metadata: metadata,
                    evolve: { Notifications.evolve($0, $1, version: $2) },
                    on: connection, logger: logger,
                    decide: { (state: NotificationsState?) in
                        if let sent = state?.notifications[notification.notificationId] {
                            return .unchanged(existingVersion: sent.sentVersion)
                        }
                        return .append([.notificationSent(notification)])
                    },
                    alongside: { connection, _ in
                        try await Self.checkpoint.store(recorded.position, on: connection, logger: logger)
                    }
                )
                if case .appended = outcome { return (.moreAvailable, true) }
                return (.moreAvailable, false)
            }
        }
        if appended { ringer.ringAfterCommit() }
        return result
    }

    /// The order's correlation id, so the notification traces back to the customer's command.
    static func correlationID(of event: RecordedEvent) -> String? {
        struct Metadata: Decodable { var correlation_id: String? }
        return (try? JSONDecoder().decode(Metadata.self, from: Data(event.metadata.utf8)))?.correlation_id
    }
}
