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
        /// The newest event id in the store (nil: not known, so a `since` is never refused as
        /// past the log).
        var newest: (@Sendable () async throws -> Int64)?

        public init(
            room: @escaping @Sendable (String) async throws -> RoomState?,
            events: @escaping @Sendable (Int64, Int64, EventFilter, Int) async throws -> [RecordedEvent],
            newest: (@Sendable () async throws -> Int64)? = nil
        ) {
            self.room = room
            self.events = events
            self.newest = newest
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
            newest = { try await inShortLivedTask { try await store.newestPosition() } }
        }
    }

    let hub: Hub
    let source: Source
    let logger: Logger
    /// Events per replay page.
    let pageSize: Int
    /// How long a subscription whose `since` this process has not seen yet waits for it
    /// (contract section 10: 2 s, as `min_event_id`).
    let resumeWait: Duration

    public init(hub: Hub, source: Source, logger: Logger, pageSize: Int = 500, resumeWait: Duration = .seconds(2)) {
        self.hub = hub
        self.source = source
        self.logger = logger
        self.pageSize = pageSize
        self.resumeWait = resumeWait
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

        /// What it says to the client.
        public var detail: String {
            switch self { case .unknownTopic(let detail), .forbidden(let detail): detail }
        }
    }

    /// A topic a subscribe asked for and did not get.
    public struct RefusedTopic: Sendable, Equatable {
        public var topic: Topic
        public var refusal: Refusal

        public init(topic: Topic, refusal: Refusal) {
            self.topic = topic
            self.refusal = refusal
        }
    }

    /// The topics a subscribe grants and those it refuses (contract section 10: a multi-topic
    /// subscribe grants what the caller may read and refuses only the rest).
    public struct Authorization: Sendable {
        public var grants: [Grant] = []
        public var refused: [RefusedTopic] = []
    }

    /// Why a subscribe as a whole failed.
    public enum SubscribeError: Error, Sendable, Equatable {
        /// Every topic was refused.
        case nothingGranted([RefusedTopic])
        /// `since` is above the newest event id in the store: a client error.
        case sinceBeyondTheLog(since: Int64, newest: Int64)
        /// This process has not seen `since` yet, and did not within the wait: try again (or
        /// another process).
        case sinceNotYetSeen(Int64)

        /// What it says to the client.
        public var detail: String {
            switch self {
            case .nothingGranted(let refused): refused.map { "\($0.topic): \($0.refusal.detail)" }.joined(separator: "; ")
            case .sinceBeyondTheLog(let since, let newest): "event \(since) does not exist: the newest event id is \(newest)"
            case .sinceNotYetSeen(let since): "this server has not reached event \(since) yet: retry (here or on another server)"
            }
        }
    }

    /// Checks each topic against contract section 2: the ones the caller may read are granted,
    /// the others refused.
    public func authorize(_ topics: [Topic], user: String, isStaff: Bool) async throws -> Authorization {
        var authorization = Authorization()
        for topic in topics {
            let key = RoutingKey(topic, user: user, isStaff: isStaff)
            switch topic {
            case .room(let id):
                guard let room = try await source.room(id) else {
                    authorization.refused.append(RefusedTopic(topic: topic, refusal: .unknownTopic("room \(id) does not exist")))
                    continue
                }
                guard Room.canRead(room, user: user) else {
                    authorization.refused.append(RefusedTopic(topic: topic, refusal: .forbidden("room \(id) is private")))
                    continue
                }
                authorization.grants.append(Grant(topic: topic, key: key, privateRoom: room.visibility == .private,
                                    filter: EventFilter(streams: [StreamName.room(id)])))
            case .orders where isStaff:
                authorization.grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                    filter: EventFilter(categories: [StreamName.orderCategory])))
            case .orders:
                authorization.grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                    filter: EventFilter(categoryField: (StreamName.orderCategory, "customer_id", user))))
            case .notifications:
                authorization.grants.append(Grant(topic: topic, key: key, privateRoom: false,
                                                  filter: EventFilter(streams: [StreamName.notifications(forUser: user)])))
            }
        }
        return authorization
    }

    /// Returns once this process has published every event up to `since` to its live
    /// connections (contract section 10): a client that resumes from an id it got from a
    /// process that is ahead must not be sent live what it has seen. Waits at most
    /// ``resumeWait``.
    /// - Throws: ``SubscribeError/sinceBeyondTheLog(since:newest:)`` when no event has that id
    ///   yet, ``SubscribeError/sinceNotYetSeen(_:)`` when the wait ran out, or `CancellationError`.
    public func waitUntilSeen(_ since: Int64) async throws {
        guard !hub.hasDelivered(through: since) else { return }
        if let newest = try await source.newest?(), since > newest {
            throw SubscribeError.sinceBeyondTheLog(since: since, newest: newest)
        }
        guard await hub.waitUntilDelivered(through: since, timeout: resumeWait) else {
            try Task.checkCancellation()
            throw SubscribeError.sinceNotYetSeen(since)
        }
    }

    /// Subscribes `connection` to `topics`, in this order:
    /// 1. with `since`, waits until this process has seen it (``waitUntilSeen(_:)``);
    /// 2. the hub routes the topics here and says up to where the store must replay them (the
    ///    high-water mark); live events are held from now on;
    /// 3. events up to the mark that the hub chose for this connection's other topics before it
    ///    followed, and delivers only now, are awaited and sent (they come before the replay);
    /// 4. the topics are authorized, *after* following: a member who leaves a private room
    ///    meanwhile either is refused here or receives their departure live, which ends the
    ///    subscription; authorizing first would leave a window where the departure is missed.
    ///    Until a topic is authorized nothing of it is sent, typing included; refused topics are
    ///    dropped with what they held;
    /// 5. `record` keeps the grants where the transport needs them and may refuse some (the
    ///    caller's rights changed meanwhile); with nothing granted, the subscribe throws
    ///    ``SubscribeError/nothingGranted(_:)``;
    /// 6. `granted` runs (the WebSocket's `subscribed` frame);
    /// 7. with `since`, every matching event after it and up to the mark is replayed through
    ///    `replay`, a page at a time, in id order across the topics, each event once (a topic
    ///    unsubscribed meanwhile is skipped from the next page on);
    /// 8. `caughtUp` runs with the mark (the WebSocket's `caught_up` frame);
    /// 9. the held live events after the mark are released, in id order across the topics, so
    ///    they reach the client after everything written above;
    /// 10. the user counts as present in the rooms, and gets their lists at the next flush.
    /// An error undoes the subscription (other topics' held events are released).
    /// - Returns: the grants, the refused topics and the high-water mark: every replayed id is
    ///   at most it, every later live id above it (and above `since`).
    public func subscribe(
        _ connection: LiveConnection, to topics: [Topic], user: String, isStaff: Bool, since: Int64?,
        record: ([Grant]) -> [RefusedTopic] = { _ in [] },
        granted: (Authorization) async throws -> Void = { _ in },
        replay: ([Replayed]) async throws -> Void,
        caughtUp: (Int64) async throws -> Void = { _ in }
    ) async throws -> (grants: [Grant], refused: [RefusedTopic], highWater: Int64) {
        if let since { try await waitUntilSeen(since) }
        let keys = topics.map { RoutingKey($0, user: user, isStaff: isStaff) }
        connection.beginReplay(Dictionary(zip(keys, topics), uniquingKeysWith: { first, _ in first }))
        do {
            let highWater = try await hub.follow(connection, keys: keys)
            guard await hub.waitUntilDelivered(through: highWater) else { throw CancellationError() }
            hub.unfollow(connection, keys: connection.releaseEarlier(upTo: highWater))
            var authorization = try await authorize(topics, user: user, isStaff: isStaff)
            let vetoed = record(authorization.grants)
            authorization.refused += vetoed
            authorization.grants.removeAll { grant in vetoed.contains { $0.topic == grant.topic } }
            let refusedKeys = keys.filter { key in !authorization.grants.contains { $0.key == key } }
            hub.unfollow(connection, keys: refusedKeys)
            connection.remove(refusedKeys)
            guard !authorization.grants.isEmpty else { throw SubscribeError.nothingGranted(authorization.refused) }
            for grant in authorization.grants { connection.authorized(grant.key, privateRoom: grant.privateRoom) }
            try await granted(authorization)
            if let since {
                let started = ContinuousClock.now
                let replayed = try await replayRange(after: since, upTo: highWater, of: authorization.grants, to: connection, replay)
                Self.recordReplay(events: replayed, took: ContinuousClock.now - started)
            }
            try await caughtUp(highWater)
            hub.unfollow(connection, keys: connection.endReplay(upTo: highWater))
            hub.markPresent(connection, keys: authorization.grants.map(\.key))
            return (authorization.grants, authorization.refused, highWater)
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
            // A topic unsubscribed meanwhile (an `auth` frame with fewer rights) is not sent on.
            let current = grants.filter { connection.isAuthorized($0.key) }
            // An event of several granted topics is sent once, on the first one.
            let replayed = page.compactMap { event in
                current.first(where: { $0.covers(event) }).map { Replayed(topic: $0.topic, event: event) }
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
