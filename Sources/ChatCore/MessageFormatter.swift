import Foundation

/// How messages and notices look: `[HH:MM:SS] author: text` in line mode, the same with color
/// and a mark on one's own messages in the terminal.
public struct MessageFormatter: Sendable {
    public let me: String
    public let style: Style
    public let timeZone: TimeZone

    public init(me: String, style: Style, timeZone: TimeZone = .current) {
        self.me = me
        self.style = style
        self.timeZone = timeZone
    }

    /// `[12:00:00] alice: hi`: the line-mode output, one line per message, no color.
    public func plainLine(_ message: ChatMessage) -> String {
        "[\(clock(message.occurredAt))] \(message.author): \(TerminalText.sanitize(message.text))"
    }

    /// The interactive line: dim time, the author in their color, own messages marked with `▸`
    /// and shown in bold so they stand out when scrolling back.
    public func styledLine(_ message: ChatMessage) -> String {
        let own = message.author == me
        let time = style.dim("[\(clock(message.occurredAt))]")
        let author = own ? style.bold(message.author) : style.color(message.author, Style.color(for: message.author))
        let mark = own ? "▸" : " "
        return "\(time) \(mark)\(author): \(TerminalText.sanitize(message.text))"
    }

    /// A line from the client itself (joins, connection changes): marked and dimmed.
    public func notice(_ text: String) -> String { style.dim("-- \(text)") }

    /// Something went wrong; red when color is on.
    public func problem(_ text: String) -> String { style.color("!! \(text)", .red) }

    /// `HH:MM:SS` in the formatter's time zone.
    public func clock(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
        return String(format: "%02d:%02d:%02d", parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}
