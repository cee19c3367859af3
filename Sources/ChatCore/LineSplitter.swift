/// Splits bytes read from a pipe into lines (UTF-8, `\n` or `\r\n`), keeping a partial last
/// line until its end arrives.
public struct LineSplitter: Sendable {
    private var partial: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines.append(take())
            } else {
                partial.append(byte)
            }
        }
        return lines
    }

    /// The input ended: the unterminated last line, if any.
    public mutating func finish() -> String? {
        partial.isEmpty ? nil : take()
    }

    private mutating func take() -> String {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        defer { partial.removeAll(keepingCapacity: true) }
        return String(decoding: partial, as: UTF8.self)
    }
}
