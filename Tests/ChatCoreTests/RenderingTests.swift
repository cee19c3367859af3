import ChatCore
import Foundation
import Testing

@Suite struct MessageFormatterTests {
    let message = ChatMessage(
        eventID: 1, room: "general", author: "bob", text: "hi\nthere\u{1B}[2J", occurredAt: Date(timeIntervalSince1970: 3_600 * 5 + 62)
    )

    @Test func lineModeIsTimeAuthorTextInLocalTimeOnOneLine() throws {
        let formatter = MessageFormatter(me: "alice", style: Style(enabled: false), timeZone: try #require(TimeZone(secondsFromGMT: 3_600)))
        #expect(formatter.plainLine(message) == "[06:01:02] bob: hi there\u{FFFD}[2J")
    }

    @Test func interactiveModeColorsAuthorsAndMarksOwnMessages() throws {
        let utc = try #require(TimeZone(identifier: "UTC"))
        let plain = MessageFormatter(me: "bob", style: Style(enabled: false), timeZone: utc)
        #expect(plain.styledLine(message) == "[05:01:02] ▸bob: hi there\u{FFFD}[2J")
        let other = MessageFormatter(me: "alice", style: Style(enabled: false), timeZone: utc)
        #expect(other.styledLine(message) == "[05:01:02]  bob: hi there\u{FFFD}[2J")
        let colored = MessageFormatter(me: "alice", style: Style(enabled: true), timeZone: utc)
        let color = Style.color(for: "bob").rawValue
        #expect(colored.styledLine(message).contains("\u{1B}[\(color)mbob\u{1B}[0m"))
    }

    @Test func colorsAreStablePerName() {
        #expect(Style.color(for: "carol") == Style.color(for: "carol"))
        #expect(Style(enabled: false).bold("x") == "x")
    }
}

@Suite struct FooterTests {
    func editor(_ text: String, cursorFromEnd: Int = 0) -> LineEditor {
        var editor = LineEditor()
        for character in text { _ = editor.handle(.character(character)) }
        for _ in 0..<cursorFromEnd { _ = editor.handle(.left) }
        return editor
    }

    @Test func typingStatusAndInputLines() {
        let footer = Footer(status: " connected · #general", typing: "bob is typing…", editor: editor("hello", cursorFromEnd: 2), width: 40, style: Style(enabled: false))
        #expect(footer.lines == ["bob is typing…", " connected · #general", "> hello"])
        #expect(footer.cursorColumn == 5)
        let quiet = Footer(status: "s", typing: nil, editor: LineEditor(), width: 40, style: Style(enabled: false))
        #expect(quiet.lines == ["s", "> "])
    }

    @Test func aLongInputScrollsSidewaysAndNothingWraps() {
        let text = String(repeating: "abcdefghij", count: 5)
        let footer = Footer(status: String(repeating: "s", count: 60), typing: nil, editor: editor(text), width: 20, style: Style(enabled: false))
        #expect(footer.lines.allSatisfy { $0.count < 20 })
        #expect(footer.lines.last == "> " + String(text.suffix(16)))
        #expect(footer.cursorColumn == 18)
    }

    @Test func theStatusLineShowsStateRoomAndQueue() {
        var session = ChatSession(me: "alice", makeClientMsgID: { "c-1" })
        _ = session.handle(.roomOpened(room: "general", readThrough: 2, history: []))
        #expect(Footer.status(of: session) == " connecting… · #general · alice · /help")
        _ = session.handle(.line("hi"))
        _ = session.handle(.retrying(after: .milliseconds(1500)))
        #expect(Footer.status(of: session) == " offline, retrying in 2s · #general · alice · 1 waiting to send · /help")
    }
}
