import Domain
import EventStore
import Foundation
import Logging
import Metrics

/// Authorises topics and subscribes connections to them: follow them in the hub (holding live
/// events), authorize, replay what the client missed from the store in pages, then go live.
public struct LiveSubscriptions: Sendable {
    /// What subscribing reads from the store, as functions (tests give their own).
    public struct Source: Sendable {
        /// The room's current state, nil when it does not exist.
        var room: @Sendable (_ id: String) async throws -> RoomState?
        /// Events matching `filter` after `after` and at most `upTo`, in id order, at most `limit`.
        var events: @Sendable (_ after: Int64, _ upTo: Int64, _ filter: EventFilter, _ limit: Int) async throws -> [RecordedEvent]

        public init(
            room: @escaping @Sendable (String) async throws -> RoomState?,
            events: @escaping @Sendable (Int64, Int64, EventFilter, Int) async throws -> [RecordedEvent]
        ) {
            self.room = room
            self.events = events
        }

        /// Reads from `store`, each read in a short-lived task: the connection's own task stays
        /// shallow (see ``inShortLivedTask(_:)``). Each replay page takes one of `pagePermits`
        /// (see ``ReadPermits``); without them, pages are not limited.
        public init(store: EventStore, pagePermits: ReadPermits? = nil) {
            room = { id in
                try await inShortLivedTask {
                    guard let snapshot = try await store.streamState(StreamName.room(id)).snapshot else { return nil }
                    return try? JSONDecoder().decode(RoomState.self, from: Data(snapshot.utf8))
                }
            }
            events = { after, upTo, filter, limit in
                try await inShortLivedTask {
                    guard let pagePermits else { return try await store.readRange(after: after, upTo: upTo, filter: filter, limit: limit) }
                    return try await pagePermits.withPermit { try await store.readRange(after: after, upTo: upTo, filter: filter, limit: limit) }
                }
            }
        }
    }

    let hub: Hub
    let source: Source
    let logger: Logger
    /// Events per replay page.
    let pageSize: Int

    public init(hub: Hub, source: Source, logger: Logger, pageSize: Int = 500) {
        self.hub = hub
        self.source = source
        self.logger = logger
        self.pageSize = pageSize
    }

    public init(hub: Hub, store: EventStore, logger: Logger, pageSize: Int = 500) {
        self.init(hub: hub, source: Source(store: store), logger: logger, pageSize: pageSize)
    }

    /// A topic the caller may read, and how the hub routes it for them.
    public struct Grant: Sendable {
        public var topic: Topic
        var key: RoutingKey
        var privateRoom: Bool
        var filter: EventFilter

        /// Whether only staff may hold this grant (every customer's orders).
        public var requiresStaff: Bool { key == .allOrders }

        /// Whether a stored event the store's filter returned belongs to this topic (by its
        /// stream or category: no need to decode its data).
        func covers(_ event: RecordedEvent) -> Bool {
            filter.streams.contains(event.streamName) || filter.categories.contains(event.category)
                || filter.categoryField?.category == event.category
        }
    }

    /// A replayed event and the topic it is sent on.
    public struct Replayed: Sendable {
        public var topic: Topic
        public var event: RecordedEvent
    }

    /// Why a topic was refused; the transports map these to 422/403 or error frames.
    public enum Refusal: Error, Sendable, Equatable {
        case unknownTopic(String)
        case forbidden(String)
    }

    /// Checks each topic against contract section 2.
    public func authorize(_ topics: [Topic], user: String, isStaff: Bool) async throws -> [Grant] {
        var grants: [Grant] = []
        for topic in topics {
            let key = RoutingKey(topic, user: user, isStaff: isStaff)
            switch topic {
            case .room(let id):
                guard let room = try await source.room(id) else { throw Refusal.unknownTopic("room \(id) does not exist") }
                guard Room.canRead(room, user: user) else { throw Refusal.forbidden("room \(id) is private") }
                grants.append(Grant(topic: topic, key: key, privateRoom: room.visibility == .private,
                                    filter: EventFilter(streams: [StreamName.room(id)])))
            case .orders where isStaff:
                grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                    filter: EventFilter(categories: [StreamName.orderCategory])))
            case .orders:
                grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                    filter: EventFilter(categoryField: (StreamName.orderCategory, "customer_id", user))))
            case .notifications:
                grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                    filter: EventFilter(streams: [StreamName.notifications(forUser: user)])))
            }
        }
        return grants
    }

    /// Subscribes `connection` to `topics`, in this order:
    /// 1. the hub routes the topics here and says up to where the store must replay them (the
    ///    high-water mark); live events are held from now on;
    /// 2. the topics are authorized, *after* following: a member who leaves a private room
    ///    meanwhile either is refused here or receives their departure live, which ends the
    ///    subscription; authorizing first would leave a window where the departure is missed;
    /// 3. `granted` runs (the WebSocket's `subscribed` frame);
    /// 4. with `since`, every matching event after it and up to the mark is replayed through
    ///    `replay`, a page at a time, in id order across the topics, each event once;
    /// 5. `caughtUp` runs with the mark (the WebSocket's `caught_up` frame);
    /// 6. the held live events after the mark are released, in id order across the topics, so
    ///    they reach the client after everything written above;
    /// A refusal or an error undoes the subscription (other topics' held events are released).
    /// - Returns: the grants and the high-water mark: every replayed id is at most it, every later
    ///   live id above it.
    public func subscribe(
        _ connection: LiveConnection, to topics: [Topic], user: String, isStaff: Bool, since: Int64?,
        granted: ([Grant]) async throws -> Void = { _ in },
        replay: ([Replayed]) async throws -> Void,
        caughtUp: (Int64) async throws -> Void = { _ in }
    ) async throws -> (grants: [Grant], highWater: Int64) {
        let keys = topics.map { RoutingKey($0, user: user, isStaff: isStaff) }
        connection.beginReplay(Dictionary(zip(keys, topics), uniquingKeysWith: { first, _ in first }))
        do {
            let highWater = try await hub.follow(connection, keys: keys)
            let grants = try await authorize(topics, user: user, isStaff: isStaff)
            for grant in grants { connection.authorized(grant.key, privateRoom: grant.privateRoom) }
            try await granted(grants)
            if let since {
                let started = ContinuousClock.now
                let replayed = try await replayRange(after: since, upTo: highWater, of: grants, to: connection, replay)
                Self.recordReplay(events: replayed, took: ContinuousClock.now - started)
            }
            try await caughtUp(max(highWater, since ?? 0))
            hub.unfollow(connection, keys: connection.endReplay(upTo: highWater))
            // 7. the user counts as present in the rooms, and gets their lists at the next flush.
            hub.markPresent(connection, keys: grants.map(\.key))
            return (grants, max(highWater, since ?? 0))
        } catch {
            hub.unfollow(connection, keys: keys)
            connection.remove(keys)
            hub.unfollow(connection, keys: connection.abandonReplay())
            throw error
        }
    }

    /// `tideline_replay_events_total` and `tideline_replay_duration_seconds` (one per replay).
    private static func recordReplay(events: Int, took: Duration) {
        if events > 0 { Counter(label: "tideline_replay_events_total").increment(by: events) }
        Metrics.Timer(label: "tideline_replay_duration_seconds", preferredDisplayUnit: .seconds).record(duration: took)
    }

    /// - Returns: how many events it sent.
    private func replayRange(
        after since: Int64, upTo highWater: Int64, of grants: [Grant], to connection: LiveConnection,
        _ replay: ([Replayed]) async throws -> Void
    ) async throws -> Int {
        let filter = EventFilter(
            streams: grants.flatMap(\.filter.streams),
            categories: grants.flatMap(\.filter.categories),
            categoryField: grants.lazy.compactMap(\.filter.categoryField).first
        )
        var after = since
        var sent = 0
        // A connection closed meanwhile (too slow, shutting down) stops replaying.
        while after < highWater, connection.closeReason == nil {
            let page = try await source.events(after, highWater, filter, pageSize)
            // An event of several granted topics is sent once, on the first one.
            let replayed = page.compactMap { event in
                grants.first(where: { $0.covers(event) }).map { Replayed(topic: $0.topic, event: event) }
            }
            if !replayed.isEmpty { try await replay(replayed) }
            sent += replayed.count
            guard page.count == pageSize, let last = page.last else { break }
            after = last.position
        }
        return sent
    }

    /// Stops following topics.
    public func unsubscribe(_ connection: LiveConnection, from grants: [Grant]) {
        let keys = grants.map(\.key)
        hub.unfollow(connection, keys: keys)
        connection.remove(keys)
    }
}

extension RoutingKey {
    /// How the hub routes `topic` for this reader: a customer's `orders` and a staff member's
    /// `orders` are different audiences of the same topic.
    init(_ topic: Topic, user: String, isStaff: Bool) {
        self = switch topic {
        case .room(let id): .room(id)
        case .orders: isStaff ? .allOrders : .ordersOf(user)
        case .notifications: .notificationsOf(user)
        }
    }
}
