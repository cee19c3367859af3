import Commands
import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Sends each customer a notification for each order they create, exactly once.
///
/// One order per transaction: the notification's append and the `order_notifications`
/// checkpoint commit together, so a process killed at any moment neither loses nor repeats a
/// notification. When no order is left, the checkpoint moves to the position the read covered,
/// under the same lock, so other traffic is read once, not again at every wake-up. The
/// notification id is derived from the order's event id, and the decision also refuses to send
/// an id twice, as a second line of defence.
///
/// Most wake-ups bring no order (chat traffic). Those cost one statement: a look, without the
/// lock or a transaction, for an order past the position up to which every order is known to
/// be handled. Only an order, or a skip due to be stored (once a second), takes the lock.
public final class OrderNotificationReactor: Service {
    static let checkpoint = Checkpoint(name: "order_notifications", lockKey: 2)
    let client: DatabasePool
    let doorbell: Doorbell
    let ringer: DoorbellRinger
    let logger: Logger
    let undecodable: UndecodableEventReport

    public init(client: DatabasePool, doorbell: Doorbell, ringer: DoorbellRinger, logger: Logger) {
        self.client = client
        self.doorbell = doorbell
        self.ringer = ringer
        self.logger = logger
        undecodable = UndecodableEventReport(reader: "order_notifications", logger: logger)
    }

    public func run() async throws {
        await LogFollower(name: "order notification reactor", doorbell: doorbell, logger: logger).run {
            try await self.step()
        }
    }

    /// Every order up to here is handled, by this process or another (nil: not known yet).
    /// Only ever moves forward, and only to a position the log proves: a stale value is merely
    /// lower, which costs a longer look, never a missed order.
    private let handledUpTo = Mutex<Int64?>(nil)
    private let lastSkipStored = Mutex<ContinuousClock.Instant?>(nil)
    static let skipStoreInterval = Duration.seconds(1)

    private func handled(upTo position: Int64) {
        handledUpTo.withLock { $0 = max($0 ?? position, position) }
    }

    func step() async throws -> LogFollower.StepResult {
        if let from = handledUpTo.withLock({ $0 }) {
            let page = try await client.withConnection { connection in
                try await EventStore.readAll(after: from, limit: 1, types: [OrderCreated.eventType], on: connection, logger: logger)
            }
            if page.events.isEmpty {
                handled(upTo: page.coveredUpTo)
                if !skipStoreDue() { return page.hasPendingCommits ? .pendingCommits : .caughtUp }
            }
        }
        return try await lockedStep()
    }

    /// Whether to store the checkpoint past chat traffic now: at most once a second, so a
    /// restart rescans at most about a second of traffic, by index.
    private func skipStoreDue() -> Bool {
        lastSkipStored.withLock { last in
            let now = ContinuousClock.now
            guard last.map({ now - $0 >= Self.skipStoreInterval }) ?? true else { return false }
            last = now
            return true
        }
    }

    /// One order, or the skip past chat traffic, under the checkpoint's lock.
    private func lockedStep() async throws -> LogFollower.StepResult {
        // What the transaction did: the step's result, whether it appended a notification, and the
        // order it handled (known handled only once committed).
        let (result, appended, handledOrder) = try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection -> (LogFollower.StepResult, Bool, Int64?) in
                let checkpoint = try await Self.checkpoint.lockAndRead(on: connection, logger: logger)
                handled(upTo: checkpoint)
                let page = try await EventStore.readAll(
                    after: checkpoint, limit: 1, types: [OrderCreated.eventType], on: connection, logger: logger
                )
                guard let recorded = page.events.first else {
                    handled(upTo: page.coveredUpTo)
                    // No order up to the safe head: move past the chat traffic there, so the next
                    // wake-up starts from here instead of rescanning from the last order. Nothing
                    // rides on this commit, so it does not wait for the disk.
                    if page.coveredUpTo > checkpoint {
                        try await Checkpoint.commitWithoutWaitingForDisk(on: connection, logger: logger)
                        try await Self.checkpoint.store(page.coveredUpTo, on: connection, logger: logger)
                    }
                    return (page.hasPendingCommits ? .pendingCommits : .caughtUp, false, nil)
                }
                let decoded = DomainEvent.read(type: recorded.type, data: Data(recorded.data.utf8))
                guard case .success(.orderCreated(let order)) = decoded else {
                    // An order this build cannot read gets no notification: the reactor moves on
                    // rather than retrying it forever (see `UndecodableEvent`).
                    if case .failure(let problem) = decoded {
                        undecodable.report(recorded, reason: problem.reason.rawValue, detail: problem.detail, outcome: "no notification sent")
                    }
                    try await Self.checkpoint.store(recorded.position, on: connection, logger: logger)
                    return (.moreAvailable, false, recorded.position)
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
                if case .appended = outcome { return (.moreAvailable, true, recorded.position) }
                return (.moreAvailable, false, recorded.position)
            }
        }
        if let handledOrder { handled(upTo: handledOrder) }
        if appended { ringer.ringAfterCommit() }
        return result
    }

    /// The order's correlation id, so the notification traces back to the customer's command.
    static func correlationID(of event: RecordedEvent) -> String? {
        struct Metadata: Decodable { var correlation_id: String? }
        return (try? JSONDecoder().decode(Metadata.self, from: Data(event.metadata.utf8)))?.correlation_id
    }
}
