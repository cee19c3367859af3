import ChatCore
import Testing

@Suite struct KeyDecoderTests {
    func keys(_ text: String) -> [Key] {
        var decoder = KeyDecoder()
        return decoder.feed(Array(text.utf8))
    }

    @Test func charactersControlKeysAndEscapeSequences() {
        #expect(keys("hi\r") == [.character("h"), .character("i"), .enter])
        #expect(keys("\u{7F}\u{03}\u{04}\u{15}\u{0B}\u{17}\u{0C}") == [.backspace, .interrupt, .endOfFile, .killToStart, .killToEnd, .deleteWord, .redraw])
        #expect(keys("\u{1B}[D\u{1B}[C\u{1B}[A\u{1B}[B\u{1B}[H\u{1B}[F\u{1B}[3~\u{1B}OH\u{1B}[4~") == [.left, .right, .up, .down, .home, .end, .delete, .home, .end])
        #expect(keys("\u{1B}[1;5C") == [.right])
        #expect(keys("\u{1B}[99z") == [])
    }

    @Test func multibyteCharactersAndSequencesSplitAcrossReads() {
        var decoder = KeyDecoder()
        let bytes = Array("é✓".utf8) + [0x1B, UInt8(ascii: "["), UInt8(ascii: "D")]
        var keys: [Key] = []
        for byte in bytes { keys += decoder.feed([byte]) }
        #expect(keys == [.character("é"), .character("✓"), .left])
    }

    @Test func otherControlBytesAreIgnored() {
        #expect(keys("a\u{07}\u{09}b") == [.character("a"), .character("b")])
    }
}

@Suite struct LineEditorTests {
    func type(_ text: String, into editor: inout LineEditor) {
        for character in text { _ = editor.handle(.character(character)) }
    }

    @Test func insertsAtTheCursorAndSubmitsTheWholeLine() {
        var editor = LineEditor()
        type("helo", into: &editor)
        #expect(editor.handle(.left) == .moved)
        #expect(editor.handle(.character("l")) == .edited)
        #expect(editor.text == "hello")
        #expect(editor.cursor == 4)
        #expect(editor.handle(.enter) == .submit("hello"))
        #expect(editor.isEmpty)
        #expect(editor.cursor == 0)
    }

    @Test func deletingAndKilling() {
        var editor = LineEditor()
        type("one two three", into: &editor)
        #expect(editor.handle(.deleteWord) == .edited)
        #expect(editor.text == "one two ")
        #expect(editor.handle(.backspace) == .edited)
        #expect(editor.text == "one two")
        _ = editor.handle(.home)
        #expect(editor.handle(.backspace) == .none)
        #expect(editor.handle(.delete) == .edited)
        #expect(editor.text == "ne two")
        _ = editor.handle(.right)
        #expect(editor.handle(.killToEnd) == .edited)
        #expect(editor.text == "n")
        #expect(editor.handle(.killToStart) == .edited)
        #expect(editor.text == "")
    }

    @Test func cursorMovesStayInTheLine() {
        var editor = LineEditor()
        type("ab", into: &editor)
        #expect(editor.handle(.right) == .none)
        #expect(editor.handle(.home) == .moved)
        #expect(editor.handle(.left) == .none)
        #expect(editor.handle(.end) == .moved)
        #expect(editor.cursor == 2)
    }

    @Test func controlCQuitsAndControlDQuitsOnlyOnAnEmptyLine() {
        var editor = LineEditor()
        type("ab", into: &editor)
        _ = editor.handle(.home)
        #expect(editor.handle(.endOfFile) == .edited)
        #expect(editor.text == "b")
        #expect(editor.handle(.interrupt) == .quit)
        _ = editor.handle(.killToEnd)
        #expect(editor.handle(.endOfFile) == .quit)
    }
}

@Suite struct InputCommandTests {
    @Test func commandsAndMessages() {
        #expect(InputCommand.parse("  hello  ") == .say("hello"))
        #expect(InputCommand.parse("   ") == .nothing)
        #expect(InputCommand.parse("/join random") == .join(room: "random"))
        #expect(InputCommand.parse("/join #random") == .join(room: "random"))
        #expect(InputCommand.parse("/leave") == .leave)
        #expect(InputCommand.parse("/rooms") == .rooms)
        #expect(InputCommand.parse("/help") == .help)
        #expect(InputCommand.parse("/QUIT") == .quit)
        #expect(InputCommand.parse("//etc is a path") == .say("/etc is a path"))
    }

    @Test func mistakesSayWhatIsWrong() {
        guard case .invalid(let unknown) = InputCommand.parse("/dance") else { Issue.record("not invalid"); return }
        #expect(unknown.contains("unknown command /dance"))
        #expect(unknown.contains("/join ROOM"))
        #expect(InputCommand.parse("/join") == .invalid("usage: /join ROOM"))
        #expect(InputCommand.parse("/leave now") == .invalid("usage: /leave"))
        guard case .invalid(let bad) = InputCommand.parse("/join no/slash") else { Issue.record("not invalid"); return }
        #expect(bad.contains("not a room id"))
    }

    @Test func roomIDsFollowTheContract() {
        #expect(RoomID.isValid("general"))
        #expect(RoomID.isValid("a.b-c_9"))
        #expect(!RoomID.isValid("-general"))
        #expect(!RoomID.isValid(""))
        #expect(!RoomID.isValid(String(repeating: "a", count: 65)))
        #expect(!RoomID.isValid("é"))
    }
}
