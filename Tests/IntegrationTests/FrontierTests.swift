import API
import Domain
import EventStore
import Foundation
import PostgresNIO
import Testing

/// A transaction left open anywhere in the cluster holds back every reader: what an operator
/// sees in `/ready` and `/metrics` while it lasts, and that delivery resumes once it ends.
@Suite struct FrontierTests {
    @Test func anOpenTransactionHoldingDeliveryShowsInReadyAndMetricsUntilItEnds() async throws {
        try await ServerProcess.withServer { database, port, _ in try await exercise(database: database, port: port) }
    }

    private func exercise(database: DatabaseURL, port: Int) async throws {
        let tokens = await TokenService(secret: TestServer.secret)
        let alice = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
        let room = TestServer.uniqueID("room")
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
        var live = SSEReader(try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)", token: alice))
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"before"}"#).status == 201)
        _ = try await live.read { $0.texts.contains("before") }

        try await TestDatabase.withConnection(database) { session in
            // A session that wrote something (it holds a transaction id) and went idle.
            var pid: Int32 = 0
            for try await value in try await session.query("SELECT pg_backend_pid()", logger: TestDatabase.logger).decode(Int32.self) { pid = value }
            try await session.query("BEGIN", logger: TestDatabase.logger)
            try await session.query("SELECT pg_current_xact_id()", logger: TestDatabase.logger)

            let held = try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"held"}"#)
            #expect(held.status == 201, "the command itself commits")
            let heldID = try #require(held.body[member: "event_id"]?.asString)
            // The test cluster is shared: a transaction of another test that began before ours
            // is the oldest until it ends. Ours stays open, so it becomes the oldest.
            let report = try await eventually(attempts: 450) { () async throws -> JSONValue? in
                let ready = try await ConcurrentClient.json(port: port, path: "/ready")
                let frontier = ready[member: "frontier"]
                let held = (frontier?[member: "held_events"]?.asInt ?? 0) >= 1
                return held && frontier?[member: "oldest_transaction"]?[member: "pid"]?.asInt == Int64(pid) ? ready : nil
            }
            let frontier = try #require(report?[member: "frontier"])
            #expect(report?[member: "status"]?.asString == "ready")
            #expect(Int64(frontier[member: "safe_head"]?.asString ?? "") ?? .max < Int64(heldID)!)
            #expect(frontier[member: "oldest_transaction"]?[member: "pid"]?.asInt == Int64(pid))
            #expect(frontier[member: "oldest_transaction"]?[member: "state"]?.asString == "idle in transaction")
            try await eventually("the held events to show in /metrics") {
                let metrics = try await ConcurrentClient.text(port: port, path: "/metrics")
                return metrics.split(separator: "\n").contains { $0.hasPrefix("tideline_frontier_held_events ") && !$0.hasSuffix(" 0") && !$0.hasSuffix(" 0.0") }
            }
            try await session.query("ROLLBACK", logger: TestDatabase.logger)
        }
        // The transaction is gone: the held message arrives, and nothing is held any more.
        #expect(try await live.read { $0.texts.contains("held") }.texts == ["held"])
        try await eventually("/ready to show nothing held") {
            try await ConcurrentClient.json(port: port, path: "/ready")[member: "frontier"]?[member: "held_events"]?.asInt == 0
        }
    }
}
