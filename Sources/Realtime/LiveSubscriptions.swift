import Domain
import EventStore
import Foundation
import Logging

/// Authorises topics and subscribes connections to them: register with the hub, replay what the
/// client missed from the store in pages, then go live.
public struct LiveSubscriptions: Sendable {
    let hub: Hub
    let store: EventStore
    let logger: Logger
    /// Events per replay page.
    let pageSize: Int

    public init(hub: Hub, store: EventStore, logger: Logger, pageSize: Int = 500) {
        self.hub = hub
        self.store = store
        self.logger = logger
        self.pageSize = pageSize
    }

    /// A topic the caller may read, and how the hub routes it for them.
    public struct Grant: Sendable {
        public var topic: Topic
        var key: RoutingKey
        var privateRoom: Bool
        var filter: EventFilter
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
            switch topic {
            case .room(let id):
                let stream = StreamName.room(id)
                guard let snapshot = try await store.streamState(stream).snapshot,
                      let room = try? JSONDecoder().decode(RoomState.self, from: Data(snapshot.utf8))
                else { throw Refusal.unknownTopic("room \(id) does not exist") }
                guard Room.canRead(room, user: user) else { throw Refusal.forbidden("room \(id) is private") }
                grants.append(Grant(topic: topic, key: .room(id), privateRoom: room.visibility == .private,
                                    filter: EventFilter(streams: [stream])))
            case .orders where isStaff:
                grants.append(Grant(topic: topic, key: .allOrders, privateRoom: false,
                                    filter: EventFilter(categories: [StreamName.orderCategory])))
            case .orders:
                grants.append(Grant(topic: topic, key: .ordersOf(user), privateRoom: false,
                                    filter: EventFilter(categoryField: (StreamName.orderCategory, "customer_id", user))))
            case .notifications:
                grants.append(Grant(topic: topic, key: .notificationsOf(user), privateRoom: false,
                                    filter: EventFilter(streams: [StreamName.notifications(forUser: user)])))
            }
        }
        return grants
    }

    /// Subscribes `connection` to `grants`. With `since`, replays every matching event after it
    /// through `replay` (which writes to the client and may wait for it), in id order across all
    /// the topics, then releases the live events that arrived meanwhile. Without `since` the
    /// subscription starts live.
    /// - Returns: the high-water mark: every replayed id is at most it, every later live id above it.
    public func subscribe(
        _ connection: LiveConnection, to grants: [Grant], since: Int64?,
        replay: (Topic, FeedEvent) async throws -> Void
    ) async throws -> Int64 {
        for grant in grants {
            // Live events for the topic are held from here on until the replay is done.
            connection.beginReplay(grant.key, topic: grant.topic, privateRoom: grant.privateRoom, lastSent: since ?? 0)
        }
        let highWater = hub.register(connection, for: grants.map(\.key))
        if let since {
            let filter = EventFilter(
                streams: grants.flatMap(\.filter.streams),
                categories: grants.flatMap(\.filter.categories),
                categoryField: grants.lazy.compactMap(\.filter.categoryField).first
            )
            var after = since
            while after < highWater {
                let page = try await store.readRange(after: after, upTo: highWater, filter: filter, limit: pageSize)
                    .map(FeedEvent.init)
                for event in page {
                    // An event of several granted topics is sent once, on the first one.
                    guard let grant = grants.first(where: { event.keys.contains($0.key) }) else { continue }
                    try await replay(grant.topic, event)
                }
                guard page.count == pageSize, let last = page.last else { break }
                after = last.position
            }
        }
        for grant in grants { connection.endReplay(grant.key, replayedUpTo: highWater) }
        return max(highWater, since ?? 0)
    }

    /// Stops following topics.
    public func unsubscribe(_ connection: LiveConnection, from grants: [Grant]) {
        for grant in grants {
            hub.unregister(connection, from: grant.key)
            connection.remove(grant.key)
        }
    }
}
