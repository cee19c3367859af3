import NIOCore

/// Reads just enough of a server frame to count and time it, without decoding JSON: with
/// thousands of subscribers on the same cores as the server, a full decode per delivery
/// would make the client the bottleneck. Tideline and the baseline hub both start every frame
/// with `{"type":"…"`.
enum ServerFrameScan {
    enum Kind: Equatable { case event, caughtUp, subscribed, other }

    private static let eventPrefix = Array(#"{"type":"event""#.utf8)
    private static let caughtUpPrefix = Array(#"{"type":"caught_up""#.utf8)
    private static let subscribedPrefix = Array(#"{"type":"subscribed""#.utf8)
    private static let textKey = Array(#""text""#.utf8)

    static func kind(of frame: ByteBuffer) -> Kind {
        frame.withUnsafeReadableBytes { bytes in
            if bytes.starts(with: eventPrefix) { return .event }
            if bytes.starts(with: caughtUpPrefix) { return .caughtUp }
            if bytes.starts(with: subscribedPrefix) { return .subscribed }
            return .other
        }
    }

    /// The send time a load generator wrote at the start of a message's text: the digits after
    /// `"text"`, a colon, optional spaces (PostgreSQL's jsonb writes `"text": "…"`) and a quote.
    static func sentMicroseconds(in frame: ByteBuffer) -> Int64? {
        frame.withUnsafeReadableBytes { bytes -> Int64? in
            guard let keyEnd = firstIndex(of: textKey, in: bytes) else { return nil }
            var index = keyEnd
            while index < bytes.count, bytes[index] == UInt8(ascii: ":") || bytes[index] == UInt8(ascii: " ") { index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }
    }

    /// The index just past the first occurrence of `pattern`.
    private static func firstIndex(of pattern: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= pattern.count, let first = pattern.first else { return nil }
        var start = 0
        while start <= bytes.count - pattern.count {
            if bytes[start] == first {
                var matched = 1
                while matched < pattern.count, bytes[start + matched] == pattern[matched] { matched += 1 }
                if matched == pattern.count { return start + matched }
            }
            start += 1
        }
        return nil
    }
}

/// A message text that carries its send time: `<microseconds since the run's origin> ` padded
/// with filler to about 60 characters, the size of a typical chat line.
enum TimedText {
    static func make(sentMicroseconds: Int64) -> String {
        let stamp = "\(sentMicroseconds) "
        let filler = "benchmark message text of a typical chat line length ........"
        return stamp + filler.prefix(max(0, 60 - stamp.count))
    }
}
