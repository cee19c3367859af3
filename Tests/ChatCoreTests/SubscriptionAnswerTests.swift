import ChatCore
import Foundation
import Testing

/// What the client does when the server does not (or no longer) let it follow its room
/// (contract section 10): refused topics, subscriptions ended later, `unavailable`.
@Suite struct SubscriptionAnswerTests {
    let t0 = ContinuousClock.now

    /// Connected in #general, having shown up to event 5; its subscribe was ref "s1".
    func subscribing() -> ChatSession {
        var session = ChatSession(me: "alice")
        _ = session.handle(.roomOpened(room: "general", readThrough: 2, history: [
            ChatMessage(eventID: 5, room: "general", author: "bob", text: "m5", occurredAt: Date(timeIntervalSince1970: 5)),
        ]))
        _ = session.handle(.connected)
        return session
    }

    func frame(_ frame: ServerFrame) -> ChatSession.Input { .frame(frame, at: t0) }

    let stoppedFollowing: [ChatSession.Effect] = [
        .show(.problem("not following #general: room general is private")),
        .show(.notice("/join general to try again, /rooms to list the rooms")),
    ]

    @Test func aRoomRefusedInSubscribedIsLeftWithTheReasonAndJoinAsksAgain() {
        var session = subscribing()
        let refusal = ServerFrame.Refusal(topic: "room:general", code: "forbidden", message: "room general is private")
        #expect(session.handle(frame(.subscribed(ref: "s1", topics: [], refused: [refusal]))) == stoppedFollowing)
        #expect(session.room == nil)
        #expect(session.connection == .live)  // the socket is fine; there is nothing to catch up on
        #expect(Footer.status(of: session).contains("no room"))
        #expect(session.handle(.line("/join general")) == [.openRoom("general")])
    }

    @Test func otherTopicsRefusedLeaveTheRoomAlone() {
        var session = subscribing()
        let refusal = ServerFrame.Refusal(topic: "room:secret", code: "forbidden", message: "room secret is private")
        #expect(session.handle(frame(.subscribed(ref: "s1", topics: ["room:general"], refused: [refusal]))) == [])
        #expect(session.room?.id == "general")
        _ = session.handle(frame(.caughtUp(ref: "s1", eventID: 9)))
        #expect(session.connection == .live)
    }

    @Test func aSubscribeRefusedWholeIsTheRoomsRefusal() {
        var session = subscribing()
        let refused = ServerFrame.error(ref: "s1", code: "forbidden", message: "room general is private", topics: ["room:general"])
        #expect(session.handle(frame(refused)) == stoppedFollowing)
        #expect(session.room == nil)
    }

    @Test func aSubscriptionEndedLaterIsLeftAndSaysWhy() {
        var session = subscribing()
        _ = session.handle(frame(.caughtUp(ref: "s1", eventID: 9)))
        // The end of a subscription we no longer hold (a room left before) concerns nobody.
        let elsewhere = ServerFrame.error(ref: nil, code: "forbidden", message: "no longer a member: unsubscribed from room:x", topics: ["room:x"])
        #expect(session.handle(frame(elsewhere)) == [])
        #expect(session.room?.id == "general")

        let ended = ServerFrame.error(ref: nil, code: "forbidden", message: "no longer a member: unsubscribed from room:general", topics: ["room:general"])
        #expect(session.handle(frame(ended)) == [
            .show(.problem("not following #general: no longer a member: unsubscribed from room:general")),
            .show(.notice("/join general to try again, /rooms to list the rooms")),
        ])
        #expect(session.room == nil)
        #expect(session.connection == .live)
    }

    @Test func unavailableIsAskedAgainAfterRetryAfterFromTheSameResumePoint() {
        var session = subscribing()
        let unavailable = ServerFrame.error(ref: "s1", code: "unavailable", message: "not there yet", topics: ["room:general"], retryAfter: .seconds(1))
        #expect(session.handle(frame(unavailable)) == [.retrySubscription(after: .seconds(1))])
        #expect(session.connection == .subscribing)
        #expect(session.room?.id == "general")
        #expect(session.handle(.subscriptionRetryDue) == [.send(.subscribe(ref: "s2", topics: ["room:general"], since: 5))])
        _ = session.handle(frame(.caughtUp(ref: "s2", eventID: 9)))
        #expect(session.connection == .live)
    }

    @Test func unavailableWithoutRetryAfterWaitsASecond() {
        var session = subscribing()
        #expect(session.handle(frame(.error(ref: "s1", code: "unavailable", message: "later"))) == [.retrySubscription(after: .seconds(1))])
    }

    @Test func aRetryOvertakenByAReconnectSendsNothing() {
        var session = subscribing()
        _ = session.handle(frame(.error(ref: "s1", code: "unavailable", message: "later", retryAfter: .seconds(1))))
        _ = session.handle(.disconnected(.dropped("reset")))
        #expect(session.handle(.connected).contains(.send(.subscribe(ref: "s2", topics: ["room:general"], since: 5))))
        #expect(session.handle(.subscriptionRetryDue) == [])
    }
}
