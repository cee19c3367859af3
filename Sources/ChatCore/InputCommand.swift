import Foundation

/// What a submitted input line asks for.
public enum InputCommand: Sendable, Equatable {
    /// Post this text to the current room.
    case say(String)
    case join(room: String)
    case leave
    case rooms
    /// List who is online in the current room.
    case who
    case help
    case quit
    /// A blank line: nothing to do.
    case nothing
    /// A mistake, with what to tell the user.
    case invalid(String)

    public static let helpText = """
        Type a message and press Enter to send it. Commands:
          /join ROOM   switch to ROOM (created if it does not exist)
          /leave       leave the current room
          /rooms       list the rooms you can join
          /who         list who is online in the room
          /help        show this help
          /quit        leave the chat (also Ctrl-C or Ctrl-D)
        Start a message with // to send text that begins with a slash.
        """

    public static func parse(_ line: String) -> InputCommand {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .nothing }
        if trimmed.hasPrefix("//") { return .say(String(trimmed.dropFirst())) }
        guard trimmed.hasPrefix("/") else { return .say(trimmed) }
        let words = trimmed.dropFirst().split(whereSeparator: \.isWhitespace).map(String.init)
        let name = words.first?.lowercased() ?? ""
        let arguments = Array(words.dropFirst())
        switch (name, arguments.count) {
        case ("join", 1):
            let room = arguments[0].hasPrefix("#") ? String(arguments[0].dropFirst()) : arguments[0]
            guard RoomID.isValid(room) else {
                return .invalid("'\(room)' is not a room id: letters, digits, '_', '.', '-', at most 64, starting with a letter or digit")
            }
            return .join(room: room)
        case ("join", _): return .invalid("usage: /join ROOM")
        case ("leave", 0): return .leave
        case ("rooms", 0): return .rooms
        case ("who", 0): return .who
        case ("help", _), ("?", _): return .help
        case ("quit", 0), ("exit", 0): return .quit
        case ("leave", _), ("rooms", _), ("who", _), ("quit", _), ("exit", _): return .invalid("usage: /\(name)")
        default: return .invalid("unknown command /\(name)\n" + helpText)
        }
    }
}

/// Room ids as the contract defines them: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`.
public enum RoomID {
    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.dropFirst().allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
