/// ANSI text styles, or none at all when color is off (`NO_COLOR`, not a terminal).
public struct Style: Sendable {
    public let enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    public enum Color: Int, Sendable, CaseIterable {
        case red = 31, green, yellow, blue, magenta, cyan
    }

    public func color(_ text: String, _ color: Color) -> String { wrap(text, "\(color.rawValue)") }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }
    public func inverse(_ text: String) -> String { wrap(text, "7") }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A stable color per name, so each author keeps theirs across messages and sessions.
    public static func color(for name: String) -> Color {
        // FNV-1a: Swift's `hashValue` is seeded per process, which would change colors each run.
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Color.allCases[Int(hash % UInt32(Color.allCases.count))]
    }
}

/// Text from other users, made safe to print: control characters (escape sequences could move
/// the cursor or retitle the window) become visible placeholders, line breaks become spaces so
/// one message stays one line.
public enum TerminalText {
    public static func sanitize(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09: result.unicodeScalars.append(" ")
            case 0x00..<0x20, 0x7F..<0xA0: result.unicodeScalars.append("\u{FFFD}")
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// At most `width` characters, ending in "…" when cut.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        return String(text.prefix(width - 1)) + "…"
    }
}
