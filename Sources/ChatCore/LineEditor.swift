/// The input line at the bottom of the terminal: a buffer and a cursor, changed by keys.
public struct LineEditor: Sendable {
    public private(set) var characters: [Character] = []
    /// Index in `characters` before which the next character goes.
    public private(set) var cursor = 0

    /// What a key did.
    public enum Action: Sendable, Equatable {
        /// Nothing changed.
        case none
        /// The text changed (a typing signal may be due).
        case edited
        /// Only the cursor moved.
        case moved
        /// Enter: the line, now cleared from the editor.
        case submit(String)
        /// Ctrl-C, or Ctrl-D on an empty line.
        case quit
        /// Ctrl-L: repaint the screen.
        case redraw
    }

    public init() {}

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }

    public mutating func handle(_ key: Key) -> Action {
        switch key {
        case .character(let character):
            characters.insert(character, at: cursor)
            cursor += 1
            return .edited
        case .enter:
            let line = text
            characters.removeAll()
            cursor = 0
            return .submit(line)
        case .backspace:
            guard cursor > 0 else { return .none }
            cursor -= 1
            characters.remove(at: cursor)
            return .edited
        case .delete:
            guard cursor < characters.count else { return .none }
            characters.remove(at: cursor)
            return .edited
        case .endOfFile:
            // As in a shell: Ctrl-D leaves on an empty line, deletes forward otherwise.
            return characters.isEmpty ? .quit : handle(.delete)
        case .interrupt:
            return .quit
        case .left:
            return move(to: cursor - 1)
        case .right:
            return move(to: cursor + 1)
        case .home:
            return move(to: 0)
        case .end:
            return move(to: characters.count)
        case .up, .down:
            return .none
        case .killToStart:
            guard cursor > 0 else { return .none }
            characters.removeFirst(cursor)
            cursor = 0
            return .edited
        case .killToEnd:
            guard cursor < characters.count else { return .none }
            characters.removeLast(characters.count - cursor)
            return .edited
        case .deleteWord:
            guard cursor > 0 else { return .none }
            var start = cursor
            while start > 0, characters[start - 1].isWhitespace { start -= 1 }
            while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
            return .edited
        case .redraw:
            return .redraw
        }
    }

    private mutating func move(to position: Int) -> Action {
        let clamped = min(max(position, 0), characters.count)
        guard clamped != cursor else { return .none }
        cursor = clamped
        return .moved
    }
}
