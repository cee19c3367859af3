@testable import Realtime
import Testing

/// One connection's delivery rules, as a value: no hub, no socket, no database.
@Suite struct DeliveryStateTests {
    let roomA = RoutingKey.room("a"), roomB = RoutingKey.room("b")

    func sentIDs(_ step: DeliveryState.Step) -> [Int64] { step.send.compactMap(\.eventID) }

    @Test func liveEventsGoOutInOrderOnceEach() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        _ = state.endReplay(upTo: 0)
        #expect(sentIDs(state.deliver(Events.message(1, room: "a"), via: roomA)) == [1])
        #expect(sentIDs(state.deliver(Events.message(1, room: "a"), via: roomA)) == [])
        #expect(sentIDs(state.deliver(Events.message(2, room: "a"), via: roomA)) == [2])
    }

    @Test func theReplaySeamOfOneTopicHasNoGapAndNoDuplicate() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        // Live while the replay (up to 10) runs: held, nothing sent yet.
        #expect(state.deliver(Events.message(11, room: "a"), via: roomA).send.isEmpty)
        #expect(state.deliver(Events.message(12, room: "a"), via: roomA).send.isEmpty)
        #expect(sentIDs(state.endReplay(upTo: 10)) == [11, 12])
        #expect(sentIDs(state.deliver(Events.message(13, room: "a"), via: roomA)) == [13])
    }

    @Test func heldEventsOfSeveralTopicsAreReleasedInIDOrder() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a"), roomB: .room("b")])
        _ = state.deliver(Events.message(1501, room: "a"), via: roomA)
        _ = state.deliver(Events.message(1502, room: "b"), via: roomB)
        _ = state.deliver(Events.message(1503, room: "a"), via: roomA)
        #expect(sentIDs(state.endReplay(upTo: 1500)) == [1501, 1502, 1503])
    }

    @Test func aSecondSubscriptionHoldsEveryLiveEventUntilItsReplayEnds() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        _ = state.endReplay(upTo: 100)
        #expect(sentIDs(state.deliver(Events.message(101, room: "a"), via: roomA)) == [101])
        state.beginAuthorizedReplay([roomB: .room("b")])
        #expect(state.deliver(Events.message(103, room: "a"), via: roomA).send.isEmpty)
        _ = state.deliver(Events.message(104, room: "b"), via: roomB)
        #expect(sentIDs(state.endReplay(upTo: 102)) == [103, 104])
    }

    /// A live topic's event that arrives while a second subscription starts, and that the hub
    /// had published before the second one followed (so the replay's end is at or past it), is
    /// not the replay's to send: it still goes out live. Only the new topics' held events up to
    /// the replay's end were replayed.
    @Test func aLiveTopicsEventHeldDuringASecondSubscriptionIsStillSent() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        _ = state.endReplay(upTo: 100)
        state.beginAuthorizedReplay([roomB: .room("b")])
        _ = state.deliver(Events.message(101, room: "b"), via: roomB)  // replayed: the replay ends at 102
        _ = state.deliver(Events.message(102, room: "a"), via: roomA)
        _ = state.deliver(Events.message(103, room: "b"), via: roomB)
        #expect(sentIDs(state.endReplay(upTo: 102)) == [102, 103])
        #expect(sentIDs(state.deliver(Events.message(104, room: "a"), via: roomA)) == [104])
    }

    @Test func tooManyHeldEventsCloseTheConnectionAsTooSlowAndUnfollowEverything() {
        var state = DeliveryState(user: "bob", heldLimit: 2)
        state.beginAuthorizedReplay([roomA: .room("a"), roomB: .room("b")])
        _ = state.deliver(Events.message(1, room: "a"), via: roomA)
        _ = state.deliver(Events.message(2, room: "a"), via: roomA)
        let step = state.deliver(Events.message(3, room: "b"), via: roomB)
        #expect(step.close == .tooSlow)
        #expect(Set(step.unfollow) == [roomA, roomB])
        #expect(state.closeReason == .tooSlow)
        #expect(state.deliver(Events.message(4, room: "a"), via: roomA).send.isEmpty)
        #expect(state.endReplay(upTo: 0).send.isEmpty)
    }

    @Test func aMemberWhoLeavesAPrivateRoomGetsTheirDepartureThenNothing() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        state.authorized(roomA, privateRoom: true)
        _ = state.endReplay(upTo: 0)
        let step = state.deliver(Events.left(5, room: "a", user: "bob"), via: roomA)
        #expect(sentIDs(step) == [5])
        #expect(step.send.last?.isRevocation == true)
        #expect(step.unfollow == [roomA])
        #expect(state.deliver(Events.message(6, room: "a"), via: roomA).send.isEmpty)
    }

    @Test func aDepartureHeldDuringTheReplayRevokesWhenReleased() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        state.authorized(roomA, privateRoom: true)
        _ = state.deliver(Events.left(11, room: "a", user: "bob"), via: roomA)
        _ = state.deliver(Events.message(12, room: "a"), via: roomA)
        let step = state.endReplay(upTo: 10)
        #expect(sentIDs(step) == [11])
        #expect(step.send.last?.isRevocation == true)
        #expect(step.unfollow == [roomA])
    }

    @Test func othersLeavingAPrivateRoomOrAnyoneLeavingAPublicOneRevokesNothing() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a"), roomB: .room("b")])
        state.authorized(roomA, privateRoom: true)
        _ = state.endReplay(upTo: 0)
        #expect(state.deliver(Events.left(1, room: "a", user: "carol"), via: roomA).unfollow.isEmpty)
        #expect(state.deliver(Events.left(2, room: "b", user: "bob"), via: roomB).unfollow.isEmpty)
        #expect(sentIDs(state.deliver(Events.message(3, room: "a"), via: roomA)) == [3])
    }

    @Test func theFirstCloseReasonWins() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        #expect(state.close(.tokenExpired).close == .tokenExpired)
        #expect(state.close(.goingAway).close == nil)
        #expect(state.close(.normal).close == nil)
        #expect(state.closeReason == .tokenExpired)
        #expect(state.closeReason?.code == 4001)
    }

    @Test func closeCodesAreTheContractsCodes() {
        let codes: [(CloseReason, Int)] = [
            (.normal, 1000), (.goingAway, 1001), (.messageTooBig, 1009), (.protocolError(code: 1007), 1007),
            (.tokenExpired, 4001), (.tooSlow, 4008), (.frameRateAbused, 4029),
        ]
        for (reason, code) in codes { #expect(reason.code == code) }
    }

    @Test func anUnsubscribedTopicsHeldEventsAreDropped() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a"), roomB: .room("b")])
        _ = state.deliver(Events.message(1, room: "a"), via: roomA)
        _ = state.deliver(Events.message(2, room: "b"), via: roomB)
        state.remove([roomA])
        #expect(sentIDs(state.abandonReplay()) == [2])
    }

    /// Issue 21, defect 1: a topic is followed before it is authorized (so that no departure
    /// slips between the two); until authorization, nothing of it is sent, typing included.
    @Test func aTopicNotYetAuthorizedSendsNoTyping() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginReplay([roomA: .room("a")])
        #expect(state.typing(topic: .room("a"), from: "ann", state: "started", via: roomA).send.isEmpty)
    }

    @Test func typingReachesOnlyFollowedRoomsOfAnOpenConnection() {
        var state = DeliveryState(user: "bob", heldLimit: 10)
        state.beginAuthorizedReplay([roomA: .room("a")])
        _ = state.endReplay(upTo: 0)
        #expect(state.typing(topic: .room("a"), from: "ann", state: "started", via: roomA).send.count == 1)
        #expect(state.typing(topic: .room("b"), from: "ann", state: "started", via: roomB).send.isEmpty)
        state.close(.normal)
        #expect(state.typing(topic: .room("a"), from: "ann", state: "started", via: roomA).send.isEmpty)
    }
}

extension DeliveryState {
    /// Follows `topics` and authorizes each as a public topic, as a subscribe does once the
    /// caller may read them.
    mutating func beginAuthorizedReplay(_ topics: [RoutingKey: Topic]) {
        beginReplay(topics)
        for key in topics.keys { authorized(key, privateRoom: false) }
    }
}
