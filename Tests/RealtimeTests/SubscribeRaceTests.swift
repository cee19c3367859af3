import Domain
import EventStore
import Foundation
import Logging
@testable import Realtime
import Synchronization
import Testing

/// Subscribing while the hub publishes: each race is forced by a hook (a room read, a sink that
/// blocks) that the test releases, never by a sleep.
@Suite struct SubscribeRaceTests {
    typealias Store = HubTests.Store

    func setUp(head: Int64?, rooms: [(id: String, visibility: Visibility, members: [String])]) -> (Hub, Store, LiveSubscriptions) {
        HubTests().setUp(head: head, rooms: rooms)
    }

    /// Issue 21, defect 1: a subscribe that lists a public room and then a private one follows
    /// both before it has read either; a typing signal in the private room meanwhile must not
    /// reach a caller who is then refused it.
    @Test func aPrivateRoomsTypingNeverReachesACallerItRefuses() async {
        let (hub, store, live) = setUp(head: 0, rooms: [("open", .public, ["ann"]), ("secret", .private, ["ann"])])
        // While the public room is read, ann types in the private one.
        store.onRoomRead.withLock { $0 = { hub.publishTyping(room: "secret", user: "ann", state: "started") } }
        let (connection, sink) = hub.connectReadable(user: "bob")
        _ = try? await live.subscribe(connection, to: [.room("open"), .room("secret")], user: "bob", isStaff: false, since: nil) { _ in }
        store.onRoomRead.withLock { $0 = nil }
        let items = await sink.closeAndDrain(connection)
        let leaked = items.filter { if case .typing(.room("secret"), _, _) = $0 { true } else { false } }
        #expect(leaked.isEmpty, "typing of a refused private room reached the caller: \(items)")
    }

    /// Issue 21, defect 2: a client resuming from an id this process has not published yet (it
    /// comes from a process that is ahead) must never be sent live an id at or below its
    /// `since` or the `caught_up` mark.
    @Test func aResumePastThisProcesssHeadNeverRepeatsAnEventLive() async throws {
        let (hub, store, live) = setUp(head: 6, rooms: [("a", .public, ["ann"])])
        store.events.withLock { $0 = (1...9).map { Events.stored($0, room: "a") } }
        let (connection, sink) = hub.connectReadable(user: "bob")
        let mark = Mutex<Int64?>(nil)
        let subscribing = Task {
            try await live.subscribe(connection, to: [.room("a")], user: "bob", isStaff: false, since: 9,
                                     replay: { _ in }, caughtUp: { id in mark.withLock { $0 = id } })
        }
        // The subscription has either followed the hub or is waiting for it to reach 9; then
        // the process sees events 7 to 9.
        while hub.routedConnectionCount == 0, hub.waiterCount == 0 { await Task.yield() }
        hub.publish((7...9).map { Events.message($0, room: "a") })
        _ = try await subscribing.value
        hub.publish([Events.message(10, room: "a")])
        let caughtUp = try #require(mark.withLock { $0 })
        let sent = await sink.closeAndDrain(connection).compactMap(\.eventID)
        #expect(sent == [10], "caught_up \(caughtUp), then live \(sent)")
        #expect(sent.allSatisfy { $0 > 9 && $0 > caughtUp })
    }

    /// Issue 21, defect 3: the hub moves its position under its lock and delivers outside it. A
    /// second subscription on a connection that already follows a live topic may end its replay
    /// at the new position while an event of the live topic is still on its way; that event
    /// must still arrive, before the `caught_up` that covers its id.
    @Test func aLiveTopicsEventInFlightWhileAnotherTopicIsSubscribedIsNotLost() async throws {
        let (hub, _, live) = setUp(head: 0, rooms: [("a", .public, ["ann"]), ("b", .public, ["ann"]), ("x", .public, ["ann"])])
        let (bob, bobSink) = hub.connectReadable(user: "bob")
        _ = try await live.subscribe(bob, to: [.room("a")], user: "bob", isStaff: false, since: nil) { _ in }
        // Carol's sink blocks the hub's delivery of event 1, so event 2 (room a, for bob) is
        // published (the hub's position is 2) but not yet delivered.
        let gate = BlockingSink()
        let carol = hub.connect(user: "carol", sink: gate, heldLimit: 100)
        _ = try await live.subscribe(carol, to: [.room("x")], user: "carol", isStaff: false, since: nil) { _ in }
        let published = Mutex(false)
        Thread {
            hub.publish([Events.message(1, room: "x"), Events.message(2, room: "a")])
            published.withLock { $0 = true }
        }.start()
        while !gate.isBlocked { await Task.yield() }
        #expect(hub.position == 2)

        // Bob subscribes to room b meanwhile; `caught_up` is marked in his queue.
        let finished = Mutex(false)
        let subscribing = Task {
            defer { finished.withLock { $0 = true } }
            return try await live.subscribe(bob, to: [.room("b")], user: "bob", isStaff: false, since: nil,
                                            replay: { _ in }, caughtUp: { _ in _ = bobSink.enqueue([.keepAlive]) }).highWater
        }
        // Until the subscription has finished, or waits for the hub's delivery to catch up.
        while !finished.withLock({ $0 }), hub.waiterCount == 0 { await Task.yield() }
        gate.release()
        #expect(try await subscribing.value == 2)
        while !published.withLock({ $0 }) { await Task.yield() }
        let items = await bobSink.closeAndDrain(bob)
        let seen = items.map { item -> String in item.eventID.map { "event \($0)" } ?? "caught_up" }
        #expect(seen == ["event 2", "caught_up"])
    }
}

/// A sink whose first `enqueue` blocks its caller (the hub's publishing thread) until released.
final class BlockingSink: LiveSink {
    private let blocked = Mutex(false)
    private let gate = DispatchSemaphore(value: 0)
    private let released = Mutex(false)

    var isBlocked: Bool { blocked.withLock { $0 } }

    func enqueue(_ items: [LiveConnection.Outbound]) -> Bool {
        guard !released.withLock({ $0 }) else { return true }
        blocked.withLock { $0 = true }
        gate.wait()
        return true
    }

    func release() {
        released.withLock { $0 = true }
        gate.signal()
    }

    func finish() {}
}
