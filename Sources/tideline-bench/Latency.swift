import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import WSClient

/// End-to-end latency: REST post → WebSocket receipt, on a running server in dev mode, with N
/// subscribers on one room at a steady post rate. Prints percentiles over every delivery.
struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post at a steady rate and measure post → WebSocket receipt across N subscribers."
    )

    @Option(help: "The server (must run with --dev for tokens).") var server: String = "http://127.0.0.1:8080"
    @Option(help: "WebSocket subscribers on the room.") var subscribers: Int = 100
    @Option(help: "Posts per second.") var rate: Int = 100
    @Option(help: "Seconds of posting.") var seconds: Int = 10

    func validate() throws {
        guard (1...20_000).contains(subscribers), (1...5_000).contains(rate), (1...600).contains(seconds) else {
            throw ValidationError("--subscribers 1-20000, --rate 1-5000, --seconds 1-600")
        }
    }

    func run() async throws {
        var logger = Logger(label: "tideline-bench")
        logger.logLevel = .warning
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: {
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
            return configuration
        }())
        do {
            try await measure(http: http, logger: logger)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private func measure(http: HTTPClient, logger: Logger) async throws {
        let server = self.server
        let poster = try await token(http, user: "bench-poster")
        let reader = try await token(http, user: "bench-reader")
        let room = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await Self.post(http, server: server, path: "/v1/rooms", token: poster, json: #"{"room_id":"\#(room)"}"#)

        let clock = ContinuousClock()
        let origin = clock.now
        let tally = Tally()
        let expected = rate * seconds
        let wsURL = server.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws?access_token=\(reader)"

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<subscribers {
                group.addTask {
                    _ = try await WebSocketClient.connect(url: wsURL, configuration: .init(maxFrameSize: 1 << 16), logger: logger) { inbound, outbound, _ in
                        try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"]}"#))
                        var received = 0
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            guard case .text(let text) = message, let frame = try? JSONDecoder().decode(Frame.self, from: Data(text.utf8)) else { continue }
                            if frame.type == "caught_up" { tally.ready.withLock { $0 += 1 } }
                            guard frame.type == "event", let sent = frame.event?.data?.text.flatMap(Double.init) else { continue }
                            let now = (clock.now - origin).milliseconds
                            tally.samples.withLock { $0.append(now - sent) }
                            received += 1
                            if received == expected { break }
                        }
                        try await outbound.close(.normalClosure, reason: nil)
                    }
                }
            }
            while tally.ready.withLock({ $0 }) < subscribers { try await Task.sleep(for: .milliseconds(50)) }
            // A steady rate: each post starts on its tick, whatever the previous one is doing.
            let interval = Duration.nanoseconds(1_000_000_000 / rate)
            try await withThrowingTaskGroup(of: Void.self) { posts in
                var tick = clock.now
                for _ in 0..<expected {
                    try await clock.sleep(until: tick)
                    tick += interval
                    posts.addTask {
                        let sent = (clock.now - origin).milliseconds
                        _ = try await Self.post(http, server: server, path: "/v1/rooms/\(room)/messages", token: poster, json: #"{"text":"\#(sent)"}"#)
                    }
                }
                try await posts.waitForAll()
            }
            // Every subscriber stops after the last message; do not wait forever for a lost one.
            let deadline = clock.now + .seconds(10)
            while tally.samples.withLock({ $0.count }) < expected * subscribers, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            group.cancelAll()
        }
        let sorted = tally.samples.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        print(String(
            format: "latency subscribers=%d rate=%d/s seconds=%d deliveries=%d/%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f",
            subscribers, rate, seconds, sorted.count, expected * subscribers,
            percentile(0.5), percentile(0.9), percentile(0.99), sorted.last ?? .nan
        ))
    }

    /// What the subscribers report, shared across their tasks.
    private final class Tally: Sendable {
        let samples = Mutex<[Double]>([])
        let ready = Mutex(0)
    }

    private struct Frame: Decodable {
        struct Event: Decodable {
            struct Payload: Decodable { var text: String? }
            var data: Payload?
        }
        var type: String
        var event: Event?
    }

    private func token(_ http: HTTPClient, user: String) async throws -> String {
        let reply = try await Self.post(http, server: server, path: "/v1/auth/token", token: nil, json: #"{"user":"\#(user)"}"#)
        struct Token: Decodable { var token: String }
        return try JSONDecoder().decode(Token.self, from: reply).token
    }

    @discardableResult
    private static func post(_ http: HTTPClient, server: String, path: String, token: String?, json: String) async throws -> Data {
        var request = HTTPClientRequest(url: server + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(response.status.code) else {
            throw ValidationError("\(path) answered \(response.status.code): \(String(buffer: body))")
        }
        return Data(buffer: body)
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
