import API
import Domain
import EventStore
import Foundation
import Testing
import WSClient

/// `/metrics` after real traffic: each of the server's own families moves (Prometheus naming:
/// `tideline_` prefix, `_total` counters, `_seconds` durations).
@Suite struct MetricsTests {
    @Test func theServersFamiliesMoveWithRealTraffic() async throws {
        // A low command rate, so that the test can be refused without sending hundreds.
        try await ServerProcess.withServer(arguments: ["--command-rate", "1", "--command-burst", "8"]) { _, port, _ in
            try await exercise(port: port)
        }
    }

    private func exercise(port: Int) async throws {
        let tokens = await TokenService(secret: TestServer.secret)
        let alice = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
        let bob = try await tokens.sign(user: "bob", roles: [], expiresAt: Date().addingTimeInterval(600))
        let room = TestServer.uniqueID("room"), secret = TestServer.uniqueID("secret")
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: alice,
                                                json: #"{"room_id":"\#(secret)","visibility":"private"}"#).status == 201)
        // A live reader on each transport, open while the posts arrive, then gone.
        var stream = SSEReader(try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)", token: bob))
        let key = [("Idempotency-Key", "metrics-1")]
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"one"}"#, headers: key).status == 201)
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"one"}"#, headers: key).status == 201)
        _ = try await stream.read { $0.messageCount >= 1 }
        let open = try await ConcurrentClient.text(port: port, path: "/metrics")
        #expect(Self.value("tideline_live_connections", in: open) == 1, "\(open)")
        // The message reached a live reader, so the feed has passed it: a stream from the start replays it.
        let replay = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: bob)
        #expect(try await SSEClient.read(replay) { $0.messageCount >= 1 }.texts == ["one"])
        _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/ws?access_token=\(bob)", logger: TestDatabase.logger) { _, outbound, _ in
            try await outbound.close(.normalClosure, reason: nil)
        }
        // Bob may not join a private room; alice joining her own room again changes nothing.
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(secret)/join", token: bob, json: "{}").status == 403)
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/join", token: alice, json: "{}").status == 200)
        // Past the burst: refused.
        var refused = false
        for n in 0..<20 where !refused {
            refused = try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"burst \#(n)"}"#).status == 429
        }
        #expect(refused)

        try await eventually("every family to move") {
            let text = try await ConcurrentClient.text(port: port, path: "/metrics")
            // The sampled gauges are written every 5 s.
            return Self.value("tideline_live_disconnects_total{reason=\"normal\"}", in: text) ?? 0 >= 1
                && Self.value(#"tideline_projection_lag_events{projection="read_model"}"#, in: text) != nil
        }
        let text = try await ConcurrentClient.text(port: port, path: "/metrics")
        // The dashboard in docs/ is built on families the server really exports (those that
        // only appear when something goes wrong are tested where it does).
        let exported = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# TYPE ") else { return nil }
            return line.split(separator: " ").dropFirst(2).first.map(String.init)
        })
        let onlyOnTrouble: Set = ["tideline_undecodable_events_total", "tideline_doorbell_reconnects_total"]
        let families = try Self.dashboardFamilies()
        #expect(families.count >= 15, "\(families)")
        for family in families where !onlyOnTrouble.contains(family) {
            #expect(exported.contains(family), "the dashboard uses \(family), which /metrics does not export")
        }
        for (sample, atLeast) in [
            (#"tideline_commands_total{command="create_room",outcome="appended"}"#, 2.0),
            (#"tideline_commands_total{command="post_message",outcome="appended"}"#, 1),
            (#"tideline_commands_total{command="post_message",outcome="replayed"}"#, 1),
            (#"tideline_commands_total{command="join_room",outcome="rejected"}"#, 1),
            (#"tideline_commands_total{command="join_room",outcome="unchanged"}"#, 1),
            (#"tideline_command_duration_seconds_count{command="post_message"}"#, 2),
            ("tideline_events_appended_total", 5),
            (#"tideline_rate_limited_total{limit="commands"}"#, 1),
            (#"tideline_live_disconnects_total{reason="normal"}"#, 1),
            ("tideline_deliveries_total", 1),
            ("tideline_replay_events_total", 3),
            ("tideline_replay_duration_seconds_count", 1),
            ("tideline_delivery_latency_seconds_count", 1),
            (#"tideline_db_connection_wait_seconds_count{pool="commands"}"#, 1),
            (#"tideline_db_connection_wait_seconds_count{pool="readers"}"#, 1),
            // Gauges: back to 0 between requests, but exported from the first lease on.
            (#"tideline_db_connections_in_use{pool="commands"}"#, 0),
            (#"tideline_db_connection_waiters{pool="readers"}"#, 0),
        ] {
            let value = Self.value(sample, in: text)
            #expect(value ?? 0 >= atLeast, "\(sample) is \(value.map { "\($0)" } ?? "missing") in:\n\(text)")
        }
    }

    /// The value of the sample line that starts with `sample` (a name with its labels, in the
    /// order the server writes them), or nil when there is none.
    static func value(_ sample: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }

    /// The metric families `docs/grafana-dashboard.json` queries (histogram series folded into
    /// their family).
    static func dashboardFamilies() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/grafana-dashboard.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let names = try Regex(#"tideline_[a-z_]+"#)
        return Set(text.matches(of: names).map { match in
            var name = String(text[match.range])
            for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
            return name
        }.filter { $0 != "tideline_overview" })
    }
}
