import ChatCore
import Foundation
import Testing

/// The client's behaviour across connections, driven without a network: frames in, effects out.
@Suite struct ChatSessionTests {
    let t0 = ContinuousClock.now

    func message(_ id: Int64, _ author: String = "bob", _ text: String? = nil, room: String = "general") -> ChatMessage {
        ChatMessage(eventID: id, room: room, author: author, text: text ?? "m\(id)", occurredAt: Date(timeIntervalSince1970: Double(id)))
    }

    func event(_ message: ChatMessage) -> ChatSession.Input {
        .frame(.event(topic: "room:\(message.room)", .messagePosted(message)), at: t0)
    }

    /// A session in #general with history up to event 5, numbering its posts c-1, c-2, …
    func session(history: [Int64] = [3, 5], readThrough: Int64 = 2) -> ChatSession {
        let counter = Counter()
        var session = ChatSession(me: "alice", makeClientMsgID: { "c-\(counter.next())" })
        _ = session.handle(.roomOpened(room: "general", readThrough: readThrough, history: history.map { message($0) }))
        return session
    }

    func sent(_ effects: [ChatSession.Effect]) -> [ClientFrame] {
        effects.compactMap { if case .send(let frame) = $0 { frame } else { nil } }
    }

    func shown(_ effects: [ChatSession.Effect]) -> [String] {
        effects.compactMap { if case .show(.message(let message)) = $0 { message.text } else { nil } }
    }

    @Test func historyIsShownThenTheRoomIsFollowedFromItsLastEvent() {
        var session = ChatSession(me: "alice")
        let effects = session.handle(.roomOpened(room: "general", readThrough: 2, history: [message(3), message(5)]))
        #expect(shown(effects) == ["m3", "m5"])
        #expect(sent(session.handle(.connected)) == [.subscribe(ref: "s1", topics: ["room:general"], since: 5)])
        #expect(session.connection == .subscribing)
        _ = session.handle(.frame(.caughtUp(ref: "s1", eventID: 9), at: t0))
        #expect(session.connection == .live)
    }

    @Test func anEmptyRoomIsFollowedFromTheJoinSoNothingIsMissed() {
        var session = session(history: [], readThrough: 4)
        #expect(sent(session.handle(.connected)) == [.subscribe(ref: "s1", topics: ["room:general"], since: 4)])
    }

    /// A page's `last_event_id` can be past its newest message (a join, a leave): the room is
    /// followed from there, so the replay repeats nothing the page already covered.
    @Test func aRoomIsFollowedFromWhatThePageCoveredNotOnlyItsNewestMessage() {
        var session = session(history: [3, 5], readThrough: 8)
        #expect(sent(session.handle(.connected)) == [.subscribe(ref: "s1", topics: ["room:general"], since: 8)])
    }

    @Test func replayOverlappingWhatWasShownShowsEachMessageOnce() {
        var session = session()
        _ = session.handle(.connected)
        let replay = [message(5), message(6), message(6), message(7)].flatMap { shown(session.handle(event($0))) }
        #expect(replay == ["m6", "m7"])
    }

    @Test func aReconnectResumesAfterTheLastShownEventWithoutGapOrDuplicate() {
        var session = session()
        _ = session.handle(.connected)
        _ = session.handle(.frame(.caughtUp(ref: "s1", eventID: 5), at: t0))
        var output = shown(session.handle(event(message(6))))
        _ = session.handle(.disconnected(.closed(code: 1001, reason: "server shutting down")))
        #expect(session.connection == .connecting)
        // The new connection asks for everything after 6; the server replays 6 again at most.
        #expect(sent(session.handle(.connected)) == [.subscribe(ref: "s2", topics: ["room:general"], since: 6)])
        output += [6, 7, 8].flatMap { shown(session.handle(event(message($0)))) }
        #expect(output == ["m6", "m7", "m8"])
    }

    @Test func postsTypedWhileDisconnectedWaitAndGoOutInOrderAfterReconnecting() {
        var session = session()
        #expect(sent(session.handle(.line("one"))) == [])
        #expect(sent(session.handle(.line("two"))) == [])
        #expect(session.outbox.pending.map(\.text) == ["one", "two"])
        let frames = sent(session.handle(.connected))
        #expect(frames == [
            .subscribe(ref: "s1", topics: ["room:general"], since: 5),
            .post(ref: "c-1", room: "general", text: "one", clientMsgID: "c-1"),
            .post(ref: "c-2", room: "general", text: "two", clientMsgID: "c-2"),
        ])
        _ = session.handle(.frame(.ack(ref: "c-1", eventID: 6), at: t0))
        _ = session.handle(.frame(.ack(ref: "c-2", eventID: 7), at: t0))
        #expect(session.outbox.isEmpty)
    }

    @Test func aPostWhoseAckWasLostIsResentWithItsOriginalIDAndShownOnce() {
        var session = session()
        _ = session.handle(.connected)
        #expect(sent(session.handle(.line("hello"))) == [.post(ref: "c-1", room: "general", text: "hello", clientMsgID: "c-1")])
        // The server stored it (event 6) and the connection broke before the ack arrived.
        var output = shown(session.handle(event(message(6, "alice", "hello"))))
        _ = session.handle(.disconnected(.dropped("connection reset")))
        let again = sent(session.handle(.connected))
        #expect(again.contains(.post(ref: "c-1", room: "general", text: "hello", clientMsgID: "c-1")))
        // The server answers the repeat with the first response; the replay brings event 6 again.
        _ = session.handle(.frame(.ack(ref: "c-1", eventID: 6), at: t0))
        output += shown(session.handle(event(message(6, "alice", "hello"))))
        #expect(output == ["hello"])
        #expect(session.outbox.isEmpty)
    }

    @Test func aRefusedPostLeavesTheOutboxAndSaysWhy() {
        var session = session()
        _ = session.handle(.connected)
        _ = session.handle(.line("hi"))
        let effects = session.handle(.frame(.error(ref: "c-1", code: "validation_failed", message: "text is too long"), at: t0))
        #expect(effects == [.show(.problem("not sent (validation_failed: text is too long): hi"))])
        #expect(session.outbox.isEmpty)
    }

    @Test func whenPipedInputEndsTheClientQuitsOnceEverythingIsAcknowledged() {
        var session = session()
        _ = session.handle(.message("last words"))
        #expect(!session.handle(.inputEnded).contains(.quit))
        _ = session.handle(.connected)
        #expect(session.handle(.frame(.ack(ref: "c-1", eventID: 9), at: t0)).contains(.quit))
    }

    @Test func othersTypingIsShownAndClearedByStoppedAMessageOrADisconnect() {
        var session = session()
        _ = session.handle(.connected)
        _ = session.handle(.frame(.typing(topic: "room:general", user: "bob", state: .started), at: t0))
        _ = session.handle(.frame(.typing(topic: "room:general", user: "carol", state: .started), at: t0))
        _ = session.handle(.frame(.typing(topic: "room:elsewhere", user: "dave", state: .started), at: t0))
        #expect(session.typingLine == "bob and carol are typing…")
        _ = session.handle(.frame(.typing(topic: "room:general", user: "carol", state: .stopped), at: t0))
        #expect(session.typingLine == "bob is typing…")
        _ = session.handle(event(message(6, "bob")))
        #expect(session.typingLine == nil)
        _ = session.handle(.frame(.typing(topic: "room:general", user: "bob", state: .started), at: t0))
        _ = session.handle(.disconnected(.dropped("reset")))
        #expect(session.typingLine == nil)
    }

    @Test func ownTypingIsSentOnlyOnAnOpenConnectionAndStopsOnSubmit() {
        var session = session()
        #expect(sent(session.handle(.edited(at: t0, isEmpty: false))) == [])  // not connected: dropped
        _ = session.handle(.connected)
        #expect(sent(session.handle(.edited(at: t0 + .seconds(3), isEmpty: false))) == [.typing(room: "general", state: .started)])
        #expect(sent(session.handle(.tick(at: t0 + .seconds(4)))) == [])
        #expect(sent(session.handle(.line("done"))) == [
            .typing(room: "general", state: .stopped),
            .post(ref: "c-1", room: "general", text: "done", clientMsgID: "c-1"),
        ])
        #expect(sent(session.handle(.edited(at: t0 + .seconds(5), isEmpty: false))) == [.typing(room: "general", state: .started)])
        #expect(sent(session.handle(.tick(at: t0 + .seconds(8)))) == [.typing(room: "general", state: .stopped)])
    }

    @Test func joiningAnotherRoomMovesTheSubscription() {
        var session = session()
        _ = session.handle(.connected)
        #expect(session.handle(.line("/join random")) == [.openRoom("random")])
        let effects = session.handle(.roomOpened(room: "random", readThrough: 20, history: [message(12, room: "random")]))
        #expect(sent(effects) == [
            .unsubscribe(ref: "u2", topics: ["room:general"]),
            .subscribe(ref: "s3", topics: ["room:random"], since: 20),
        ])
        #expect(shown(effects) == ["m12"])
        // Events of the old room no longer show.
        #expect(shown(session.handle(event(message(30)))) == [])
        #expect(shown(session.handle(event(message(31, room: "random")))) == ["m31"])
    }

    @Test func leavingEndsTheRoomAndMessagesAskForOne() {
        var session = session()
        _ = session.handle(.connected)
        #expect(session.handle(.line("/leave")) == [.leaveRoom("general")])
        #expect(sent(session.handle(.roomLeft(room: "general"))) == [.unsubscribe(ref: "u2", topics: ["room:general"])])
        #expect(session.room == nil)
        #expect(session.handle(.line("anyone?")) == [.show(.problem("you are in no room: /join ROOM first"))])
    }

    @Test func givingUpShowsWhyAndQuits() {
        var session = session()
        let effects = session.handle(.gaveUp("the token expired"))
        #expect(effects == [.show(.problem("the token expired")), .quit])
        #expect(session.connection == .closed("the token expired"))
    }

    @Test func commandsHelpAndQuit() {
        var session = session()
        #expect(session.handle(.line("/rooms")) == [.listRooms])
        #expect(session.handle(.line("/help")).count == InputCommand.helpText.split(separator: "\n").count)
        #expect(session.handle(.line("/quit")) == [.quit])
        let listed = session.handle(.roomsListed([
            RoomSummary(roomID: "general", name: "general", visibility: "public", memberCount: 2, isMember: true),
            RoomSummary(roomID: "random", name: "random", visibility: "public", memberCount: 1, isMember: false),
            RoomSummary(roomID: "old", name: "old", visibility: "public", memberCount: 1),
        ]))
        #expect(listed == [
            .show(.notice("#general (here): 2 members, public, you are a member")),
            .show(.notice("#random: 1 member, public, not joined")),
            .show(.notice("#old: 1 member, public")),
        ])
    }

    @Test func presenceShowsInTheStatusLineAndWhoListsTheUsers() {
        var session = session()
        #expect(session.handle(.line("/who")) == [.show(.notice("not connected: who is online in #general is not known"))])
        _ = session.handle(.connected)
        _ = session.handle(.frame(.caughtUp(ref: "s1", eventID: 5), at: t0))
        _ = session.handle(.frame(.presence(topic: "room:general", users: ["alice", "bob"]), at: t0))
        #expect(Footer.status(of: session) == " connected · #general · 2 online · alice · /help")
        _ = session.handle(.frame(.presenceDiff(topic: "room:general", joins: ["carol"], leaves: ["bob"]), at: t0))
        _ = session.handle(.frame(.presenceDiff(topic: "room:other", joins: ["dave"], leaves: []), at: t0))
        #expect(session.handle(.line("/who")) == [.show(.notice("online in #general: alice, carol"))])
        // Offline, the last list is stale: it is not shown as if it were current.
        _ = session.handle(.disconnected(.dropped("reset")))
        #expect(!Footer.status(of: session).contains("online"))
    }
}

/// Numbers client message ids in tests.
final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        value += 1
        return value
    }
}
