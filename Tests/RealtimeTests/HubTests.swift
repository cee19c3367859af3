import Domain
import EventStore
import Logging
@testable import Realtime
import Synchronization
import Testing

/// The hub with its connections and subscriptions, in memory: what a client would be sent.
@Suite struct HubTests {
    /// A store of its own: rooms by id, and the events a replay reads.
    final class Store: Sendable {
        let rooms = Mutex<[String: RoomState]>([:])
        let events = Mutex<[RecordedEvent]>([])
        /// Runs when a room is read, before the answer: lets a test commit something "meanwhile".
        let onRoomRead = Mutex<(@Sendable () -> Void)?>(nil)

        var source: LiveSubscriptions.Source {
            LiveSubscriptions.Source(
                room: { id in
                    self.onRoomRead.withLock { $0 }?()
                    return self.rooms.withLock { $0[id] }
                },
                events: { after, upTo, _, limit in
                    Array(self.events.withLock { $0 }.filter { $0.position > after && $0.position <= upTo }.prefix(limit))
                }
            )
        }

        func addRoom(_ id: String, visibility: Visibility, members: [String]) {
            let state = RoomState(roomId: id, name: id, visibility: visibility, createdBy: members.first ?? "ann",
                                  members: Dictionary(uniqueKeysWithValues: members.map { ($0, 1) }))
            rooms.withLock { $0[id] = state }
        }
    }

    let logger = Logger(label: "test")

    /// A hub (started at `head` unless nil), a store holding `rooms`, and subscriptions over them.
    func setUp(head: Int64? = 0, rooms: [(id: String, visibility: Visibility, members: [String])] = [("a", .public, ["ann"])])
        -> (Hub, Store, LiveSubscriptions)
    {
        let hub = Hub()
        if let head { hub.start(at: head) }
        let store = Store()
        for room in rooms { store.addRoom(room.id, visibility: room.visibility, members: room.members) }
        return (hub, store, LiveSubscriptions(hub: hub, source: store.source, logger: logger))
    }

    @Test func anOverflowedConnectionIsForgottenByTheHub() async {
        let (hub, _, live) = setUp()
        let (connection, sink) = hub.connectReadable(user: "bob", queueLimit: 3)
        _ = try? await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: nil) { _ in }
        hub.publish((1...5).map { Events.message($0, room: "a") })
        #expect(connection.closeReason == .tooSlow)
        // Routing stopped at the overflow, before the transport disconnects.
        #expect(hub.routedConnectionCount == 0)
        hub.disconnect(connection)
        #expect(hub.connectionCount == 0)
        #expect(await sink.closeAndDrain(connection).compactMap(\.eventID) == [1, 2, 3])
    }

    @Test func aRevokedSubscriptionStopsBeingRouted() async throws {
        let (hub, _, live) = setUp(rooms: [("a", .private, ["ann", "bob"])])
        let (connection, sink) = hub.connectReadable(user: "bob")
        _ = try await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: nil) { _ in }
        hub.publish([Events.left(1, room: "a", user: "bob")])
        #expect(hub.routedConnectionCount == 0)
        hub.publish([Events.message(2, room: "a")])
        let items = await sink.closeAndDrain(connection)
        #expect(items.compactMap(\.eventID) == [1])
        #expect(items.last?.isRevocation == true)
    }

    @Test func aSubscriptionBeforeTheHeadIsKnownWaitsAndMissesNothing() async throws {
        let (hub, store, live) = setUp(head: nil)
        store.events.withLock { $0 = (1...20).map { Events.stored($0, room: "a") } }
        let (connection, sink) = hub.connectReadable(user: "bob")
        let replayed = Mutex<[Int64]>([])
        let subscribing = Task {
            try await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: 5) { page in
                replayed.withLock { $0 += page.map(\.event.position) }
            }.highWater
        }
        // The process learns the head (20) after the client asked to resume from 5.
        while hub.waiterCount == 0 { await Task.yield() }
        hub.start(at: 20)
        #expect(try await subscribing.value == 20)
        #expect(replayed.withLock { $0 } == Array(6...20))
        hub.publish([Events.message(21, room: "a")])
        #expect(await sink.closeAndDrain(connection).compactMap(\.eventID) == [21])
    }

    @Test func aWaitingSubscriptionEndsWhenItsTaskIsCancelled() async {
        let (hub, _, live) = setUp(head: nil)
        let (connection, _) = hub.connectReadable(user: "bob")
        let subscribing = Task {
            try await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: 0) { _ in }
        }
        subscribing.cancel()
        await #expect(throws: CancellationError.self) { try await subscribing.value }
        #expect(hub.routedConnectionCount == 0)
    }

    @Test func severalTopicsReplayThenGoLiveInIDOrder() async throws {
        let (hub, store, live) = setUp(head: 4, rooms: [("a", .public, ["ann"]), ("b", .public, ["ann"])])
        store.events.withLock { $0 = [Events.stored(1, room: "a"), Events.stored(2, room: "b"), Events.stored(3, room: "c"), Events.stored(4, room: "a")] }
        let (connection, sink) = hub.connectReadable(user: "bob")
        let replayed = Mutex<[Int64]>([])
        let result = try await live.subscribe(connection, to: [.room("a"), .room("b")], user: "bob", isStaff: false, since: 0) { page in
            replayed.withLock { $0 += page.map(\.event.position) }
            // Live events commit while the replay writes: they must come after it, in order.
            hub.publish([Events.message(5, room: "a"), Events.message(6, room: "b"), Events.message(7, room: "a")])
        }
        #expect(result.highWater == 4)
        #expect(replayed.withLock { $0 } == [1, 2, 4])
        #expect(await sink.closeAndDrain(connection).compactMap(\.eventID) == [5, 6, 7])
    }

    @Test func aMemberWhoLeavesWhileSubscribingIsRefusedOrRevokedNeverKept() async throws {
        let (hub, store, live) = setUp(rooms: [("a", .private, ["ann", "bob"])])
        // Bob leaves just as his subscription is authorized: the room still lists him, and his
        // departure is published to the hub at that moment.
        store.onRoomRead.withLock { $0 = { hub.publish([Events.left(1, room: "a", user: "bob")]) } }
        let (connection, sink) = hub.connectReadable(user: "bob")
        _ = try await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: nil) { _ in }
        store.onRoomRead.withLock { $0 = nil }
        hub.publish([Events.message(2, room: "a")])
        let items = await sink.closeAndDrain(connection)
        #expect(items.compactMap(\.eventID) == [1])
        #expect(items.last?.isRevocation == true)
        #expect(hub.routedConnectionCount == 0)
    }

    /// An event this build cannot read reaches the readers of its stream live, as a replay
    /// (which selects by stream) would send it; an order reaches its customer by `customer_id`.
    @Test func undecodableEventsAreRoutedByTheirStreamLikeAReplay() {
        func stored(_ stream: String, _ type: String, _ data: String) -> FeedEvent {
            FeedEvent(RecordedEvent(position: 1, streamName: stream, version: 1, type: type,
                                    occurredAt: "2026-12-02T12:00:00.000Z", data: data, metadata: "{}"))
        }
        let reaction = stored("room-a-b", "chat.reaction_added", #"{"emoji":"+1"}"#)
        #expect(reaction.keys == [.room("a-b")])
        #expect(reaction.undecodable?.reason == .unknownType)
        let brokenOrder = stored("order-o1", "orders.order_created", #"{"order_id":"o1","customer_id":"cat"}"#)
        #expect(brokenOrder.keys == [.ordersOf("cat"), .allOrders])
        #expect(brokenOrder.undecodable?.reason == .malformedData)
        #expect(stored("notification-bob", "notifications.digest", "{}").keys == [.notificationsOf("bob")])
        #expect(stored("audit-x", "audit.entry", "{}").keys == [])
        // A departure whose data cannot be read ends nobody's subscription.
        #expect(stored("room-a", "chat.member_left", #"{"room_id":"a"}"#).departure == nil)
        #expect(Events.message(1, room: "a").undecodable == nil)
    }

    @Test func aRefusedTopicLeavesNothingRouted() async {
        let (hub, _, live) = setUp(rooms: [("secret", .private, ["ann"])])
        let (connection, sink) = hub.connectReadable(user: "bob")
        let refused = LiveSubscriptions.RefusedTopic(topic: .room("secret"), refusal: .forbidden("room secret is private"))
        await #expect(throws: LiveSubscriptions.SubscribeError.nothingGranted([refused])) {
            try await live.subscribe(connection, to: [.room("secret")], user: "bob", isStaff: false, since: nil) { _ in }
        }
        #expect(hub.routedConnectionCount == 0)
        hub.publish([Events.message(1, room: "secret")])
        #expect(await sink.closeAndDrain(connection).isEmpty)
    }

    @Test func typingReachesFollowersOnly() async throws {
        let (hub, _, live) = setUp()
        let (follower, followerSink) = hub.connectReadable(user: "bob"), (other, otherSink) = hub.connectReadable(user: "carol")
        _ = try await live.subscribe(follower, to: [.room("a")], user: "bob", isStaff: false, since: nil) { _ in }
        hub.publishTyping(room: "a", user: "ann", state: "started")
        #expect(await followerSink.closeAndDrain(follower).count == 1)
        #expect(await otherSink.closeAndDrain(other).isEmpty)
    }
}
