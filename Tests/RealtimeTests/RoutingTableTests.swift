@testable import Realtime
import Testing

/// The hub's routing rules, as a value.
@Suite struct RoutingTableTests {
    let one = ConnectionID(value: 1), two = ConnectionID(value: 2)

    @Test func nobodyFollowsBeforeTheHeadIsKnown() {
        var table = RoutingTable()
        #expect(table.follow(one, keys: [.room("a")]) == nil)
        #expect(table.connectionCount == 0)
        table.start(at: 42)
        #expect(table.follow(one, keys: [.room("a")]) == 42)
    }

    @Test func followingReturnsThePositionPublishedSoFar() {
        var table = RoutingTable()
        table.start(at: 10)
        _ = table.publish([(11, [.room("a")]), (12, [.room("b")])])
        #expect(table.follow(one, keys: [.room("a")]) == 12)
        // Starting again (a second feed start) never moves back.
        table.start(at: 5)
        #expect(table.position == 12)
    }

    @Test func aConnectionGetsAnEventOnceHoweverManyOfItsKeysMatch() {
        var table = RoutingTable()
        table.start(at: 0)
        _ = table.follow(one, keys: [.ordersOf("ann"), .allOrders])
        _ = table.follow(two, keys: [.allOrders])
        let deliveries = table.publish([(1, [.ordersOf("ann"), .allOrders])])
        #expect(deliveries.count == 2)
        #expect(Set(deliveries.map(\.connection)) == [one, two])
        #expect(deliveries.first { $0.connection == one }?.key == .ordersOf("ann"))
    }

    @Test func removingAConnectionForgetsEveryKeyItFollowed() {
        var table = RoutingTable()
        table.start(at: 0)
        _ = table.follow(one, keys: [.room("a"), .room("b")])
        _ = table.follow(two, keys: [.room("a")])
        table.remove(one)
        #expect(table.connectionCount == 1)
        #expect(table.followers(of: .room("b")).isEmpty)
        #expect(table.publish([(1, [.room("a")]), (2, [.room("b")])]).map(\.connection) == [two])
    }

    @Test func unfollowingTheLastKeyForgetsTheConnection() {
        var table = RoutingTable()
        table.start(at: 0)
        _ = table.follow(one, keys: [.room("a"), .notificationsOf("ann")])
        table.unfollow(one, keys: [.room("a")])
        #expect(table.keys(of: one) == [.notificationsOf("ann")])
        table.unfollow(one, keys: [.notificationsOf("ann")])
        #expect(table.connectionCount == 0)
    }
}
