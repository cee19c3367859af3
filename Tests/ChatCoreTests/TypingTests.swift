import ChatCore
import Testing

@Suite struct TypingTrackerTests {
    let t0 = ContinuousClock.now

    @Test func theLineNamesTypistsInTheOrderTheyStarted() {
        #expect(TypingTracker.describe([]) == nil)
        #expect(TypingTracker.describe(["bob"]) == "bob is typing…")
        #expect(TypingTracker.describe(["bob", "carol"]) == "bob and carol are typing…")
        #expect(TypingTracker.describe(["bob", "carol", "dave"]) == "bob, carol and dave are typing…")
        #expect(TypingTracker.describe(["bob", "carol", "dave", "erin"]) == "bob, carol and 2 others are typing…")
    }

    @Test func startedThenStoppedClearsTheLine() {
        var tracker = TypingTracker(me: "alice")
        #expect(tracker.started("bob", at: t0) == true)
        #expect(tracker.started("bob", at: t0 + .seconds(1)) == false)  // a renewal changes nothing
        #expect(tracker.started("carol", at: t0) == true)
        #expect(tracker.line == "bob and carol are typing…")
        #expect(tracker.stopped("bob") == true)
        #expect(tracker.line == "carol is typing…")
        #expect(tracker.stopped("carol") == true)
        #expect(tracker.line == nil)
    }

    @Test func oneselfIsNeverListed() {
        var tracker = TypingTracker(me: "alice")
        #expect(tracker.started("alice", at: t0) == false)
        #expect(tracker.line == nil)
    }

    @Test func aLostStoppedExpiresAsASafetyNet() {
        var tracker = TypingTracker(me: "alice", expiry: .seconds(6))
        tracker.started("bob", at: t0)
        tracker.started("carol", at: t0 + .seconds(3))
        #expect(tracker.expire(at: t0 + .seconds(5)) == false)
        #expect(tracker.expire(at: t0 + .seconds(6)) == true)
        #expect(tracker.users == ["carol"])
        // Renewing pushes the expiry out.
        tracker.started("carol", at: t0 + .seconds(8))
        #expect(tracker.expire(at: t0 + .seconds(10)) == false)
        #expect(tracker.expire(at: t0 + .seconds(14)) == true)
        #expect(tracker.line == nil)
    }
}

@Suite struct TypingDebouncerTests {
    let t0 = ContinuousClock.now

    @Test func theFirstEditStartsAndAPauseStops() {
        var debouncer = TypingDebouncer(idle: .seconds(2), renewal: .seconds(3))
        #expect(debouncer.edited(at: t0, isEmpty: false) == .started)
        #expect(debouncer.edited(at: t0 + .milliseconds(300), isEmpty: false) == nil)
        #expect(debouncer.tick(at: t0 + .seconds(2)) == nil)  // 1.7 s after the last edit
        #expect(debouncer.tick(at: t0 + .milliseconds(2300)) == .stopped)
        #expect(debouncer.tick(at: t0 + .seconds(5)) == nil)  // stopped once
    }

    @Test func steadyTypingRenewsStartedBeforeTheServerForgetsIt() {
        var debouncer = TypingDebouncer(idle: .seconds(2), renewal: .seconds(3))
        var signals: [TypingSignal?] = []
        for tenth in stride(from: 0, through: 70, by: 5) {  // a key every 0.5 s for 7 s
            signals.append(debouncer.edited(at: t0 + .milliseconds(tenth * 100), isEmpty: false))
        }
        #expect(signals.compactMap { $0 } == [.started, .started, .started])  // at 0 s, 3 s, 6 s
    }

    @Test func submittingOrEmptyingTheLineStops() {
        var debouncer = TypingDebouncer()
        #expect(debouncer.edited(at: t0, isEmpty: false) == .started)
        #expect(debouncer.stop() == .stopped)
        #expect(debouncer.stop() == nil)
        #expect(debouncer.edited(at: t0 + .seconds(1), isEmpty: false) == .started)
        #expect(debouncer.edited(at: t0 + .seconds(1), isEmpty: true) == .stopped)
        #expect(debouncer.edited(at: t0 + .seconds(1), isEmpty: true) == nil)
    }
}
