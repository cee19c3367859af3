import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Applies a batch of events to the read tables in a few statements instead of one per event.
///
/// The result equals applying the events one by one, in order, because:
/// - the batch is cut into three lanes that touch disjoint tables (rooms, room_members and
///   messages; orders; notifications), so events of different lanes commute;
/// - within a lane, each run of consecutive events of one type is one statement (arrays bound
///   with `unnest`), and the runs are written in log order, so a join, a leave and a join of the
///   same user, or a notification sent then read, still happen in that order;
/// - each statement does what its events would do one after the other: the first of several
///   inserts of one key wins (`DISTINCT ON … ORDER BY position`, then `ON CONFLICT DO NOTHING`),
///   counts change by the rows actually inserted or deleted, and `last_event_id` becomes the
///   highest position of the run (positions only grow).
/// `ReadModelBatchTests` checks this against one-event batches. Statements tolerate a replay
/// (ON CONFLICT DO NOTHING), although the checkpoint makes replays not happen.
enum ReadModelWriter {
    /// - Parameter undecodable: told of each event this build cannot read; it is skipped (see
    ///   ``UndecodableEvent``).
    static func apply(
        _ events: [RecordedEvent], on connection: PostgresConnection, logger: Logger,
        undecodable: (RecordedEvent, UndecodableEvent) -> Void
    ) async throws {
        for run in runs(of: events, undecodable: undecodable) {
            try await run.write(on: connection, logger: logger)
        }
    }

    /// The batch as runs, lane after lane, each lane's runs in log order.
    static func runs(of events: [RecordedEvent], undecodable: (RecordedEvent, UndecodableEvent) -> Void) -> [ReadModelRun] {
        var lanes = [[ReadModelRun]](repeating: [], count: ReadModelRun.Lane.allCases.count)
        for recorded in events {
            let event: DomainEvent
            switch DomainEvent.read(type: recorded.type, data: Data(recorded.data.utf8)) {
            case .success(let decoded): event = decoded
            case .failure(let problem): undecodable(recorded, problem); continue
            }
            let projected = ProjectedEvent(position: recorded.position, occurredAt: recorded.occurredAt, event: event)
            let kind = ReadModelRun.Kind(event)
            let lane = kind.lane.rawValue
            if let last = lanes[lane].indices.last, lanes[lane][last].kind == kind {
                lanes[lane][last].events.append(projected)
            } else {
                lanes[lane].append(ReadModelRun(kind: kind, events: [projected]))
            }
        }
        return lanes.flatMap { $0 }
    }
}

/// An event with where it sits in the log.
struct ProjectedEvent: Sendable {
    var position: Int64
    var occurredAt: String
    var event: DomainEvent
}

/// Consecutive events of one type within a lane: one statement.
struct ReadModelRun: Sendable {
    enum Lane: Int, CaseIterable {
        case rooms, orders, notifications
    }

    enum Kind: Sendable, Equatable {
        case roomCreated, memberJoined, memberLeft, messagePosted, orderCreated, notificationSent, notificationRead

        init(_ event: DomainEvent) {
            self = switch event {
            case .roomCreated: .roomCreated
            case .memberJoined: .memberJoined
            case .memberLeft: .memberLeft
            case .messagePosted: .messagePosted
            case .orderCreated: .orderCreated
            case .notificationSent: .notificationSent
            case .notificationRead: .notificationRead
            }
        }

        /// The tables an event of this kind writes: rooms, room_members and messages; orders; notifications.
        var lane: Lane {
            switch self {
            case .roomCreated, .memberJoined, .memberLeft, .messagePosted: .rooms
            case .orderCreated: .orders
            case .notificationSent, .notificationRead: .notifications
            }
        }
    }

    var kind: Kind
    var events: [ProjectedEvent]

    func write(on connection: PostgresConnection, logger: Logger) async throws {
        switch kind {
        case .roomCreated: try await write(RoomsCreatedWrite.self, on: connection, logger: logger)
        case .memberJoined: try await write(MembersJoinedWrite.self, on: connection, logger: logger)
        case .memberLeft: try await write(MembersLeftWrite.self, on: connection, logger: logger)
        case .messagePosted: try await write(MessagesPostedWrite.self, on: connection, logger: logger)
        case .orderCreated: try await write(OrdersCreatedWrite.self, on: connection, logger: logger)
        case .notificationSent: try await write(NotificationsSentWrite.self, on: connection, logger: logger)
        case .notificationRead: try await write(NotificationsReadWrite.self, on: connection, logger: logger)
        }
    }

    private func write<Statement: ReadModelWrite>(_: Statement.Type, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(Statement(events: events), logger: logger)
    }
}

/// A statement that writes a run's events to the read tables (`Statements/…Writes.swift`).
/// It is given only events of its own kind, and binds their fields as arrays.
protocol ReadModelWrite: PostgresPreparedStatement where Row == Void {
    init(events: [ProjectedEvent])
}

extension ReadModelWrite {
    func decodeRow(_ row: PostgresRow) throws {}
}
