import Domain
import Foundation
import Synchronization

/// What the server sent to the tests' WebSocket and SSE readers, kept for
/// `scripts/check-wire-log`, which checks every entry against `asyncapi.yaml` after the run: a
/// frame or SSE message the document does not describe fails the test command.
///
/// Written only when `TIDELINE_TEST_WIRE_LOG` names a file (scripts/test sets it), as JSON lines
/// `{"channel":"websocket","text":…}` or `{"channel":"sse","block":…}`. The load tests receive
/// hundreds of thousands of frames of a few shapes, so at most `perShape` of each shape are kept.
enum WireLog {
    private static let perShape = 25

    private struct Log {
        var file: FileHandle?
        var counts: [String: Int] = [:]
    }

    private static let log: Mutex<Log> = {
        let path = ProcessInfo.processInfo.environment["TIDELINE_TEST_WIRE_LOG"] ?? ""
        guard !path.isEmpty else { return Mutex(Log()) }
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        let file = FileHandle(forWritingAtPath: path)
        _ = try? file?.seekToEnd()
        return Mutex(Log(file: file))
    }()

    /// A WebSocket text frame as received, with the JSON the reader made of it.
    static func webSocketFrame(_ text: String, parsed: JSONValue) {
        var shape = "ws:\(parsed.frameType ?? "?")"
        if let type = parsed[member: "event"]?[member: "type"]?.asString { shape += ":\(type)" }
        if let code = parsed[member: "code"]?.asString { shape += ":\(code):\(parsed[member: "ref"] == nil)" }
        // Contract section 10's optional fields make shapes of their own, so the cap keeps them.
        let optional = switch parsed.frameType { case "subscribed": ["refused"]; case "error": ["topics", "retry_after"]; default: [String]() }
        for field in optional where parsed[member: field] != nil { shape += ":\(field)" }
        record(shape: shape, ["channel": "websocket", "text": text])
    }

    /// A binary frame: the protocol has none, so the check fails on it.
    static func binaryWebSocketFrame() {
        record(shape: "ws:binary", ["channel": "websocket", "binary": true])
    }

    /// One SSE message block, as the lines between blank lines.
    static func sseBlock(_ block: String) {
        let firstLine = block.prefix { $0 != "\n" }
        let eventLine = block.split(separator: "\n").first { $0.hasPrefix("event:") }
        let shape = "sse:" + String(eventLine ?? firstLine.prefix(24))
        record(shape: shape, ["channel": "sse", "block": block])
    }

    private static func record(shape: String, _ entry: [String: Any]) {
        log.withLock { log in
            guard let file = log.file else { return }
            let seen = log.counts[shape, default: 0]
            guard seen < perShape else { return }
            log.counts[shape] = seen + 1
            guard var line = try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]) else { return }
            line.append(0x0A)
            file.write(line)
        }
    }
}
