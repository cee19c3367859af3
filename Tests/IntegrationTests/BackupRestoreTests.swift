import API
import Domain
import EventStore
import Foundation
import PostgresNIO
import Testing

/// A store saved with `pg_dump` and restored into a fresh cluster: its transaction ids come
/// from the old cluster's future, so readers skip the history until `tideline after-restore`
/// rewrites them; after it, everything reads back and new events follow.
@Suite struct BackupRestoreTests {
    @Test func aStoreRestoredIntoAFreshClusterReadsEverythingAfterTheRestoreCommand() async throws {
        let source = try await TestDatabase.create()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("restore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer {
            _ = try? FileManager.default.removeItem(at: folder)
        }
        let tokens = await TokenService(secret: TestServer.secret)
        let staff = try await tokens.sign(user: "ops", roles: ["staff"], expiresAt: Date().addingTimeInterval(600))
        let room = TestServer.uniqueID("room")

        // The source cluster's transaction counter is well ahead of a new cluster's.
        try await TestDatabase.withConnection(source) { connection in
            for _ in 0..<3_000 { try await connection.query("SELECT pg_current_xact_id()", logger: TestDatabase.logger) }
        }
        let written = try await ServerProcess.withServer(database: source) { _, port, _ in
            #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: staff, json: #"{"room_id":"\#(room)"}"#).status == 201)
            for n in 1...5 {
                #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: staff, json: #"{"text":"m\#(n)"}"#).status == 201)
            }
            // Readers see an event once no older transaction runs anywhere in the cluster (the
            // test cluster is shared with other tests): ask until all seven are there.
            return try await eventually { () async throws -> [Int64]? in
                let ids = try await Self.eventIDs(port: port, token: staff)
                return ids.count == 7 ? ids : nil
            } ?? []
        }
        #expect(written.count == 7)

        // pg_dump, a new cluster, pg_restore.
        let bin = try await DevelopmentClusterTests.pgCluster(["bindir"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let dump = folder.appendingPathComponent("tideline.dump").path
        let sourcePassword = ["PGPASSWORD": source.password ?? ""]
        let dumped = try await Subprocess.run("\(bin)/pg_dump", ["-Fc", "-f", dump] + Self.connection(source), environment: sourcePassword)
        #expect(dumped.status == 0, "\(dumped.output)")
        try await PrivateCluster.with(database: "restored") { restored in
            let restoredOK = try await Subprocess.run(
                "\(bin)/pg_restore", ["--no-owner", "-d", "restored"] + Self.connection(restored, database: false) + [dump],
                environment: ["PGPASSWORD": restored.password ?? ""]
            )
            #expect(restoredOK.status == 0, "\(restoredOK.output)")

            // As restored: the history is there but no reader may see it.
            try await ServerProcess.withServer(database: restored) { _, port, _ in
                #expect(try await Self.eventIDs(port: port, token: staff).isEmpty)
                let ready = try await ConcurrentClient.json(port: port, path: "/ready")
                #expect(ready[member: "frontier"]?[member: "held_events"]?.asInt == Int64(written.count))
                #expect(ready[member: "frontier"]?[member: "oldest_transaction"] == nil, "nothing holds them: they are foreign")
            }

            let repaired = try await ServerProcess.run(["after-restore"], database: restored)
            #expect(repaired.status == 0, "\(repaired.output)")
            #expect(repaired.output.contains("7 restored events are readable again"), "\(repaired.output)")
            let again = try await ServerProcess.run(["after-restore"], database: restored)
            #expect(again.output.contains("nothing to do"), "\(again.output)")

            try await ServerProcess.withServer(database: restored) { _, port, _ in
                #expect(try await Self.eventIDs(port: port, token: staff) == written)
                // A replay from the start, then a new message after the restored ones.
                var replay = SSEReader(try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: staff))
                #expect(try await replay.read { $0.messageCount >= 5 }.texts == (1...5).map { "m\($0)" })
                let next = try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: staff, json: #"{"text":"m6"}"#)
                #expect(next.status == 201)
                #expect(try await replay.read { $0.messageCount >= 1 }.texts == ["m6"])
                let ids = try await Self.eventIDs(port: port, token: staff)
                #expect(ids.dropLast() == written[...] && ids.last! > written.last!)
                let nextID = next.body[member: "event_id"]?.asString ?? "0"
                let page = try await ConcurrentClient.get(port: port, path: "/v1/rooms/\(room)/messages?min_event_id=\(nextID)", token: staff)
                #expect(page.body[member: "messages"]?.asArray.count == 6)
            }
        }
        await TestDatabase.drop(source)
    }

    /// Every event id `GET /v1/events` returns, page after page.
    private static func eventIDs(port: Int, token: String) async throws -> [Int64] {
        var ids: [Int64] = []
        var after = "0"
        while true {
            let page = try await ConcurrentClient.get(port: port, path: "/v1/events?after=\(after)&limit=1000", token: token)
            let events = page.body[member: "events"]?.asArray ?? []
            ids += events.compactMap { $0[member: "id"]?.asString.flatMap { Int64($0) } }
            guard !events.isEmpty, let next = page.body[member: "next_after"]?.asString else { return ids }
            after = next
        }
    }

    /// libpq connection options for `url` (its database too unless `database` is false).
    private static func connection(_ url: DatabaseURL, database: Bool = true) -> [String] {
        guard case .tcp(let host, let port) = url.endpoint else { return [] }
        return ["-h", host, "-p", String(port), "-U", url.username] + (database ? ["-d", url.database] : [])
    }
}
