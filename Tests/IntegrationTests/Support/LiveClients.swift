import AsyncHTTPClient
import Domain
import Foundation
import NIOCore
import Realtime
import Testing
import WSClient

/// One Server-Sent Events message as a client parses it.
struct SSEMessage: Sendable, Equatable {
    var id: String?
    var event: String?
    var data: String

    /// The envelope (or typing signal) in `data`.
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))) ?? .null }
}

/// The tests' HTTP client. Its pool must be large: every SSE stream a test abandons keeps its
/// connection until the server ends it, and a small pool would make later requests wait forever.
let testHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
}()

/// A streaming SSE reader over a real HTTP connection.
enum SSEClient {
    /// Opens `GET path` on the test server.
    static func open(port: Int, path: String, token: String, headers: [(String, String)] = []) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return try await testHTTPClient.execute(request, timeout: .seconds(60))
    }

    /// Reads messages (and comment lines, as `event: ":"`) until `done` says so, then stops reading.
    static func read(_ response: HTTPClientResponse, until done: ([SSEMessage]) -> Bool) async throws -> [SSEMessage] {
        var reader = SSEReader(response)
        return try await reader.read(until: done)
    }
}

/// Reads one SSE response in steps, so a test can act between them.
struct SSEReader {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffer = ""

    init(_ response: HTTPClientResponse) {
        iterator = response.body.makeAsyncIterator()
    }

    /// The messages from here until `done` says so (it sees only this call's messages).
    mutating func read(until done: ([SSEMessage]) -> Bool) async throws -> [SSEMessage] {
        var messages: [SSEMessage] = []
        while true {
            while let end = buffer.range(of: "\n\n") {
                let block = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                WireLog.sseBlock(block)
                messages.append(Self.parse(block))
                if done(messages) { return messages }
            }
            guard let chunk = try await iterator.next() else { return messages }
            buffer += String(buffer: chunk)
        }
    }

    static func parse(_ block: String) -> SSEMessage {
        var message = SSEMessage(id: nil, event: nil, data: "")
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { message.event = ":"; message.data = String(line) }
            else if line.hasPrefix("id: ") { message.id = String(line.dropFirst(4)) }
            else if line.hasPrefix("event: ") { message.event = String(line.dropFirst(7)) }
            else if line.hasPrefix("data: ") { message.data = String(line.dropFirst(6)) }
            else if line.hasPrefix("retry: ") { message.event = "retry"; message.data = String(line.dropFirst(7)) }
        }
        return message
    }
}

extension Array where Element == SSEMessage {
    /// The stored events received (messages with an id), in arrival order.
    var events: [SSEMessage] { filter { $0.id != nil } }
    var texts: [String] { events.filter { $0.event == "chat.message_posted" }.compactMap { $0.json[member: "data"]?[member: "text"]?.asString } }
    /// How many chat messages arrived; cheap enough to ask after every message (no JSON parsing).
    var messageCount: Int { lazy.filter { $0.event == "chat.message_posted" }.count }
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
            switch message {
            case .text(let text):
                let frame = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                WireLog.webSocketFrame(text, parsed: frame)
                return frame
            case .binary:
                WireLog.binaryWebSocketFrame()
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

/// Concurrent REST calls over their own connections (the test server's client is one
/// keep-alive connection, so it cannot show what concurrent writers do).
enum ConcurrentClient {
    /// POSTs JSON and returns the status and the parsed body.
    static func post(
        port: Int, path: String, token: String, json: String, headers: [(String, String)] = []
    ) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(contentsOf: headers)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await testHTTPClient.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body))) ?? .null
        return (Int(response.status.code), value)
    }

    /// GETs a route that needs no token (`/ready`, `/metrics`) and returns its body as text.
    static func text(port: Int, path: String) async throws -> String {
        let response = try await testHTTPClient.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 22))
    }

    /// GETs a route that needs no token and parses its JSON body.
    static func json(port: Int, path: String) async throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(try await text(port: port, path: path).utf8))
    }

    /// GETs and returns the status and the parsed body.
    static func get(port: Int, path: String, token: String) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await testHTTPClient.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 22)
        let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body))) ?? .null
        return (Int(response.status.code), value)
    }

    /// Posts `count` chat messages to `room` from `writers` concurrent connections, message `n`
    /// with the text `text(n)`; each must be accepted (201).
    static func postMessages(
        _ count: Int, port: Int, room: String, token: String, writers: Int = 8, text: @escaping @Sendable (Int) -> String
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for n in stride(from: writer, to: count, by: writers) {
                        let reply = try await post(
                            port: port, path: "/v1/rooms/\(room)/messages", token: token, json: #"{"text":\#(jsonString(text(n)))}"#
                        )
                        #expect(reply.status == 201)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
