import ChatCore
import Testing

@Suite struct OutboxTests {
    func post(_ n: Int) -> PendingPost { PendingPost(room: "general", text: "m\(n)", clientMsgID: "c-\(n)") }

    @Test func postsWaitInOrderAndLeaveOnAck() {
        var outbox = Outbox()
        for n in 1...3 { outbox.add(post(n)) }
        #expect(outbox.remove(clientMsgID: "c-2") == post(2))
        #expect(outbox.pending == [post(1), post(3)])
        #expect(outbox.remove(clientMsgID: "c-2") == nil)  // a late, repeated ack
    }

    @Test func itIsBounded() {
        var outbox = Outbox(capacity: 2)
        #expect(outbox.add(post(1)) == true)
        #expect(outbox.add(post(2)) == true)
        #expect(outbox.add(post(3)) == false)
        #expect(outbox.pending.count == 2)
    }
}

@Suite struct TimelineTests {
    @Test func eachEventIsShownOnceWhateverTheOverlap() {
        var timeline = Timeline()
        let history: [Int64] = [3, 5, 8]
        let replayAndLive: [Int64] = [5, 8, 9, 9, 10, 7, 11]
        let shown = (history + replayAndLive).filter { timeline.admit($0) }
        #expect(shown == [3, 5, 8, 9, 10, 11])
        #expect(timeline.lastEventID == 11)
    }

    @Test func advanceMovesTheResumePointOnlyForward() {
        var timeline = Timeline()
        timeline.advance(to: 4)
        #expect(timeline.lastEventID == 4)
        timeline.advance(to: 2)
        #expect(timeline.lastEventID == 4)
        #expect(timeline.admit(4) == false)
        #expect(timeline.admit(5) == true)
    }
}

@Suite struct LineSplitterTests {
    @Test func linesSplitAcrossReadsAreJoined() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("hel".utf8)) == [])
        #expect(splitter.feed(Array("lo\r\nwor".utf8)) == ["hello"])
        #expect(splitter.feed(Array("ld\n\nlast".utf8)) == ["world", ""])
        #expect(splitter.finish() == "last")
        #expect(splitter.finish() == nil)
    }

    @Test func multibyteCharactersSplitAcrossReadsSurvive() {
        var splitter = LineSplitter()
        let bytes = Array("héllo ✓\n".utf8)
        #expect(splitter.feed(bytes[0..<2]) == [])
        #expect(splitter.feed(bytes[2...]) == ["héllo ✓"])
    }
}
