/// The lines pinned to the bottom of the interactive terminal: who is typing, the status line
/// and the input line. Messages scroll above them.
public struct Footer: Sendable, Equatable {
    /// The lines, top to bottom, each shorter than the terminal is wide (so none wraps and the
    /// painter can count rows); the last one is the input line.
    public let lines: [String]
    /// Where the cursor goes on the input line (0-based column).
    public let cursorColumn: Int

    public static let prompt = "> "

    /// - Parameters:
    ///   - status: the status line's text, without style.
    ///   - typing: "bob is typing…", or nil.
    ///   - editor: the input line.
    ///   - width: the terminal's width in columns.
    public init(status: String, typing: String?, editor: LineEditor, width: Int, style: Style) {
        let usable = max(width - 1, 10)
        var lines: [String] = []
        if let typing { lines.append(style.dim(TerminalText.truncate(typing, to: usable))) }
        // Pad the status line to the full width so the inverse bar spans the screen.
        let statusText = TerminalText.truncate(status, to: usable)
        lines.append(style.inverse(statusText + String(repeating: " ", count: style.enabled ? usable - statusText.count : 0)))
        // The input line scrolls sideways to keep the cursor visible: it never wraps.
        let room = usable - Self.prompt.count
        let characters = editor.characters
        let start = max(0, editor.cursor - room + 1)
        let visible = characters[start..<min(characters.count, start + room)]
        lines.append(Self.prompt + TerminalText.sanitize(String(visible)))
        self.lines = lines
        self.cursorColumn = Self.prompt.count + editor.cursor - start
    }

    /// The status line's text: connection state, room, how many are online there, user,
    /// queued posts.
    public static func status(of session: ChatSession) -> String {
        let state = switch session.connection {
        case .connecting: "connecting…"
        case .subscribing: "catching up…"
        case .live: "connected"
        case .waiting(let delay): "offline, retrying in \(Int(delay.seconds.rounded(.up)))s"
        case .closed: "disconnected"
        }
        var room = session.room.map { "#\($0.id)" } ?? (session.opening.map { "#\($0)…" } ?? "no room")
        if let online = session.room?.online { room += " · \(online.count) online" }
        let queued = session.outbox.pending.count
        let outbox = queued == 0 ? "" : " · \(queued) waiting to send"
        return " \(state) · \(room) · \(session.me)\(outbox) · /help"
    }
}
