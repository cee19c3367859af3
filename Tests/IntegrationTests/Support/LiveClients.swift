import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import WSClient

/// One Server-Sent Events message as a client parses it.
struct SSEMessage: Sendable, Equatable {
    var id: String?
    var event: String?
    var data: String

    /// The envelope (or typing signal) in `data`.
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))) ?? .null }
}

/// A streaming SSE reader over a real HTTP connection.
enum SSEClient {
    /// Opens `GET path` on the test server.
    static func open(port: Int, path: String, token: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    }

    /// Reads messages (and comment lines, as `event: ":"`) until `done` says so, then stops reading.
    static func read(_ response: HTTPClientResponse, until done: ([SSEMessage]) -> Bool) async throws -> [SSEMessage] {
        var messages: [SSEMessage] = []
        var buffer = ""
        for try await chunk in response.body {
            buffer += String(buffer: chunk)
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                var message = SSEMessage(id: nil, event: nil, data: "")
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { message.event = ":"; message.data = String(line) }
                    else if line.hasPrefix("id: ") { message.id = String(line.dropFirst(4)) }
                    else if line.hasPrefix("event: ") { message.event = String(line.dropFirst(7)) }
                    else if line.hasPrefix("data: ") { message.data = String(line.dropFirst(6)) }
                    else if line.hasPrefix("retry: ") { message.event = "retry"; message.data = String(line.dropFirst(7)) }
                }
                messages.append(message)
                if done(messages) { return messages }
            }
        }
        return messages
    }
}

extension Array where Element == SSEMessage {
    /// The stored events received (messages with an id), in arrival order.
    var events: [SSEMessage] { filter { $0.id != nil } }
    var texts: [String] { events.filter { $0.event == "chat.message_posted" }.compactMap { $0.json[member: "data"]?[member: "text"]?.asString } }
}

/// Reads WebSocket text frames as JSON.
struct FrameReader {
    var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) {
        iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
    }

    /// The next text frame as JSON; nil when the connection closed.
    mutating func next() async throws -> JSONValue? {
        while let message = try await iterator.next() {
            if case .text(let text) = message {
                return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            }
        }
        return nil
    }

    /// Frames until (and including) the first one `matching`.
    mutating func until(_ matching: (JSONValue) -> Bool) async throws -> [JSONValue] {
        var frames: [JSONValue] = []
        while let frame = try await next() {
            frames.append(frame)
            if matching(frame) { return frames }
        }
        return frames
    }
}

extension JSONValue {
    var frameType: String? { self[member: "type"]?.asString }
}
