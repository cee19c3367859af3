import API
import AsyncHTTPClient
import Domain
import Foundation
import NIOHTTP1
import NIOCore
import Testing

/// Each request's id (the client's, when sane), its access line and its HTTP metrics.
@Suite struct RequestObservabilityTests {
    @Test func eachRequestHasAnIDInItsHeaderProblemAndLogLineAndCountsInMetrics() async throws {
        let server = try await ServerProcess.withServer(arguments: ["--log-level", "info"]) { _, port, server in
            let tokens = await TokenService(secret: TestServer.secret)
            let alice = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
            let room = TestServer.uniqueID("room")

            // The client's own id is kept, in the header and in the access line.
            let created = try await Self.send(port: port, method: .POST, path: "/v1/rooms", token: alice,
                                              body: #"{"room_id":"\#(room)"}"#, requestID: "trace-abc.1")
            #expect(created.status == 201)
            #expect(created.requestID == "trace-abc.1")
            // A problem carries the request's id in its body, the same as its header.
            let missing = try await Self.send(port: port, method: .GET, path: "/v1/rooms/no-such-room/messages", token: alice)
            #expect(missing.status == 404)
            let problem = try JSONDecoder().decode(JSONValue.self, from: Data(missing.body.utf8))
            #expect(missing.requestID?.isEmpty == false)
            #expect(problem[member: "request_id"]?.asString == missing.requestID)
            // An id a log line should not carry is replaced by the server's own.
            let odd = try await Self.send(port: port, method: .GET, path: "/health", requestID: "not ok; drop table")
            #expect(odd.requestID != nil && odd.requestID != "not ok; drop table")

            let metrics = try await ConcurrentClient.text(port: port, path: "/metrics")
            #expect((MetricsTests.value(#"tideline_http_requests_total{method="POST",route="/v1/rooms",status="201"}"#, in: metrics) ?? 0) >= 1, "\(metrics)")
            // Routes are patterns: an id in the path never becomes a label (nor a log field).
            let messagesRoute = metrics.split(separator: "\n").first {
                $0.hasPrefix(#"tideline_http_request_duration_seconds_count{method="GET",route="/v1/rooms/"#) && $0.contains("/messages")
            }
            #expect(messagesRoute != nil && messagesRoute?.contains("no-such-room") == false, "\(metrics)")
            #expect(!metrics.contains("hb_requests"))
            return server
        }
        let log = server.readOutput()
        let line = log.split(separator: "\n").first { $0.contains("hb.request.id=trace-abc.1") && $0.hasSuffix(" request") }
        #expect(line?.contains("route=/v1/rooms") == true && line?.contains("status=201") == true, "\(log)")
    }

    /// `LOG_FORMAT=json`: every line the server writes is one JSON object, and a request's
    /// access line carries its id, route, status and duration as fields.
    @Test func logFormatJSONWritesOneObjectPerLine() async throws {
        let server = try await ServerProcess.withServer(arguments: ["--log-level", "info"], environment: ["LOG_FORMAT": "json"]) { _, port, server in
            let health = try await Self.send(port: port, method: .GET, path: "/health", requestID: "json-line-1")
            #expect(health.status == 200)
            return server
        }
        let lines = server.readOutput().split(separator: "\n")
        let objects = lines.compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        #expect(!lines.isEmpty && objects.count == lines.count, "\(lines.filter { (try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))) == nil })")
        #expect(objects.allSatisfy { $0[member: "level"]?.asString != nil && $0[member: "time"]?.asString != nil })
        let access = objects.first { $0[member: "message"]?.asString == "request" && $0[member: "request_id"]?.asString == "json-line-1" }
        #expect(access?[member: "route"]?.asString == "/health")
        #expect(access?[member: "status"]?.asString == "200")
        #expect(access?[member: "duration_ms"]?.asString != nil)
    }

    private static func send(
        port: Int, method: HTTPMethod, path: String, token: String? = nil, body: String? = nil, requestID: String? = nil
    ) async throws -> (status: Int, requestID: String?, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let requestID { request.headers.add(name: "X-Request-Id", value: requestID) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await testHTTPClient.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return (Int(response.status.code), response.headers["X-Request-Id"].first, text)
    }
}
