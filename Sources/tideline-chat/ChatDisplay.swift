#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ChatCore

/// Where the chat shows itself: a terminal with a footer, or plain lines for pipes.
protocol ChatDisplay {
    /// A line for the message area.
    mutating func show(_ output: ChatSession.Output)
    /// Brings the status, typing and input lines up to date (interactive mode only).
    mutating func refresh(session: ChatSession, editor: LineEditor)
    /// Repaints everything (Ctrl-L, a resize).
    mutating func repaint(session: ChatSession, editor: LineEditor)
    /// Leaves the screen tidy before exiting.
    mutating func finish()
}

/// Line mode: each message one line on stdout (`[HH:MM:SS] author: text`), everything else
/// on stderr, so scripts can read stdout as data.
struct LineDisplay: ChatDisplay {
    let formatter: MessageFormatter

    mutating func show(_ output: ChatSession.Output) {
        switch output {
        case .message(let message): Terminal.emit(formatter.plainLine(message) + "\n")
        case .notice(let text): Terminal.emit("tideline-chat: \(text)\n", to: STDERR_FILENO)
        case .problem(let text): Terminal.emit("tideline-chat: error: \(text)\n", to: STDERR_FILENO)
        }
    }

    mutating func refresh(session: ChatSession, editor: LineEditor) {}
    mutating func repaint(session: ChatSession, editor: LineEditor) {}
    mutating func finish() {}
}

/// Interactive mode: messages scroll up, the footer (typing line, status line, input line)
/// stays at the bottom and keeps what is being typed while messages arrive above it.
///
/// The footer is erased and drawn again around every message: no scroll regions, so it
/// works the same in any ANSI terminal and under `script`.
struct TerminalDisplay: ChatDisplay {
    let formatter: MessageFormatter
    let style: Style
    /// The footer on screen, nil when none is drawn.
    private var drawn: Footer?

    init(formatter: MessageFormatter, style: Style) {
        self.formatter = formatter
        self.style = style
    }

    mutating func show(_ output: ChatSession.Output) {
        let line = switch output {
        case .message(let message): formatter.styledLine(message)
        case .notice(let text): formatter.notice(TerminalText.sanitize(text))
        case .problem(let text): formatter.problem(TerminalText.sanitize(text))
        }
        // Erase the footer, print the line where it was, and let refresh() draw it again below.
        Terminal.emit(erase() + line + "\r\n" + (drawn.map(Self.draw) ?? ""))
    }

    mutating func refresh(session: ChatSession, editor: LineEditor) {
        let footer = Footer(
            status: Footer.status(of: session), typing: session.typingLine, editor: editor, width: Terminal.width(), style: style
        )
        guard footer != drawn else { return }
        Terminal.emit(erase() + Self.draw(footer))
        drawn = footer
    }

    mutating func repaint(session: ChatSession, editor: LineEditor) {
        Terminal.emit(erase())
        drawn = nil
        refresh(session: session, editor: editor)
    }

    mutating func finish() {
        Terminal.emit(erase())
        drawn = nil
    }

    /// Moves to the footer's first row and clears to the end of the screen.
    private func erase() -> String {
        guard let drawn else { return "" }
        return "\r" + String(repeating: "\u{1B}[A", count: drawn.lines.count - 1) + "\u{1B}[J"
    }

    /// The footer's lines, the cursor left on the input line at the editor's cursor.
    private static func draw(_ footer: Footer) -> String {
        footer.lines.joined(separator: "\r\n") + "\r" + (footer.cursorColumn > 0 ? "\u{1B}[\(footer.cursorColumn)C" : "")
    }
}
