import API
import Domain
import EventStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// Group commit (issue 22) as clients see it: commands that share one transaction each get
/// their own answer, a batch killed in flight leaves each command all or nothing, and two
/// processes batching the same streams lose, double and reorder nothing.
///
/// The moments are held by the test, never waited out: it holds streams' locks in the server's
/// database (so the batches carrying those streams wait inside PostgreSQL, which `pg_locks`
/// shows; two of them fill the server's two batches in flight), and reads how many commands wait
/// for the next batch from the server's `/metrics` (`tideline_command_batch_waiting`).
@Suite struct CommandBatchTests {
    @Test func aBatchWithAConflictAReplayAReusedKeyAndOrdinaryCommandsAnswersEachOnItsOwn() async throws {
        try await ServerProcess.withTwoServers { database, a, b in
            try await ServerProcess.waitUntilReady(port: a)
            try await ServerProcess.waitUntilReady(port: b)
            let tokens = await TokenService(secret: TestServer.secret)
            let alice = try await tokens.token("alice"), bob = try await tokens.token("bob"), carol = try await tokens.token("carol")
            let rooms = ["blocker", "blocker2", "ordinary", "replay", "reuse", "stale", "private"].map { ($0, TestServer.uniqueID($0)) }
            let room = Dictionary(uniqueKeysWithValues: rooms)
            for (name, id) in rooms {
                let creator = name == "reuse" ? bob : alice
                let visibility = name == "private" ? "private" : "public"
                let created = try await ConcurrentClient.post(
                    port: a, path: "/v1/rooms", token: creator, json: #"{"room_id":"\#(id)","visibility":"\#(visibility)"}"#
                )
                #expect(created.status == 201)
            }
            let post: @Sendable (Int, String, String, String, String?) async throws -> (status: Int, body: JSONValue) = { port, token, name, text, key in
                try await ConcurrentClient.post(
                    port: port, path: "/v1/rooms/\(room[name]!)/messages", token: token, json: #"{"text":"\#(text)"}"#,
                    headers: key.map { [("Idempotency-Key", $0)] } ?? []
                )
            }
            // Earlier commands: the replay's first answer, the reused key's first use, and a room
            // that process A has a copy of, which B then makes stale.
            let aliceKey = TestServer.uniqueID("key"), bobKey = TestServer.uniqueID("key")
            let first = try await post(a, alice, "replay", "first", aliceKey)
            #expect(first.status == 201)
            #expect(try await post(a, bob, "reuse", "bob first", bobKey).status == 201)
            #expect(try await post(a, alice, "stale", "before", nil).status == 201)
            #expect(try await ConcurrentClient.post(port: b, path: "/v1/rooms/\(room["stale"]!)/join", token: bob, json: "{}").status == 200)

            let held = ["blocker", "blocker2"].map { "room-\(room[$0]!)" }
            let answers = try await Self.holdingStreams(held, in: database) { release in
                async let blocked = post(a, alice, "blocker", "held", nil)
                async let blocked2 = post(a, alice, "blocker2", "held too", nil)
                try await Self.waitForBlockedAppends(2, in: database)
                async let ordinary = post(a, alice, "ordinary", "ordinary", nil)
                async let replayed = post(a, alice, "replay", "first", aliceKey)
                async let reused = post(a, bob, "reuse", "another request", bobKey)
                async let conflicting = post(a, alice, "stale", "after bob joined", nil)
                try await Self.waitForCommandsWaiting(4, port: a)
                // A refusal is decided before any batch: it answers while the batch is held.
                let refused = try await post(a, carol, "private", "let me in", nil)
                try await release()
                #expect(try await blocked2.status == 201)
                return try await (blocked, ordinary, replayed, reused, conflicting, refused)
            }
            #expect(answers.0.status == 201)
            #expect(answers.1.status == 201)
            #expect(answers.2.status == 201 && answers.2.body == first.body, "the first answer again: \(answers.2.body)")
            #expect(answers.3.status == 409, "\(answers.3.body)")
            #expect(answers.4.status == 201, "decided again on what B wrote: \(answers.4.body)")
            #expect(answers.5.status == 403)
            // The four waiting commands went as one batch.
            #expect(try await Self.batches(ofMoreThan: 2, port: a) >= 1)

            let auditor = try await tokens.token("auditor", staff: true)
            // replay 1, reuse 1, stale 2, ordinary 1, the two held
            let log = try await Self.messages(port: b, token: auditor, atLeast: 7)
            #expect(log.texts(in: room["replay"]!) == ["first"])
            #expect(log.texts(in: room["reuse"]!) == ["bob first"])
            #expect(log.texts(in: room["ordinary"]!) == ["ordinary"])
            #expect(log.texts(in: room["stale"]!) == ["before", "after bob joined"])
            #expect(log.texts(in: room["private"]!).isEmpty)
            #expect(log.versionsAreContiguous, "\(log.events)")
        }
    }

    @Test func aServerKilledWithABatchInFlightLeavesEachCommandAllOrNothingAndARetryIsAnsweredOnce() async throws {
        let database = try await TestDatabase.create()
        let tokens = await TokenService(secret: TestServer.secret)
        let alice = try await tokens.token("alice")
        // Two rooms to fill the server's two batches in flight, and the two whose batch is killed.
        let rooms = (0..<4).map { _ in TestServer.uniqueID("room") }
        let keys = rooms.map { _ in TestServer.uniqueID("key") }
        let post: @Sendable (Int, Int) async throws -> (status: Int, body: JSONValue) = { port, index in
            try await ConcurrentClient.post(
                port: port, path: "/v1/rooms/\(rooms[index])/messages", token: alice, json: #"{"text":"message \#(index)"}"#,
                headers: [("Idempotency-Key", keys[index])]
            )
        }

        let port = try ServerProcess.freePort()
        let killed = try ServerProcess.serve(database: database, port: port)
        try await ServerProcess.waitUntilReady(port: port)
        for id in rooms {
            #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(id)"}"#).status == 201)
        }
        try await Self.holdingStreams(["room-\(rooms[2])"], in: database) { releaseKilled in
            try await Self.holdingStreams(["room-\(rooms[0])", "room-\(rooms[1])"], in: database) { releaseFirst in
                // Two batches wait for their streams; the next two commands queue behind them.
                let inFlight = [Task { try? await post(port, 0) }, Task { try? await post(port, 1) }]
                try await Self.waitForBlockedAppends(2, in: database)
                let queued = [Task { try? await post(port, 2) }, Task { try? await post(port, 3) }]
                try await Self.waitForCommandsWaiting(2, port: port)
                try await releaseFirst()
                for task in inFlight { #expect(await task.value?.status == 201) }
                // Their batch is now in the database, waiting for a stream: kill the server.
                try await Self.waitForBlockedAppends(1, in: database)
                killed.kill(SIGKILL)
                _ = await killed.waitForExit()
                for task in queued { #expect(await task.value == nil, "no answer from a killed server") }
            }
            try await releaseKilled()
        }

        // Whatever the batch came to, a retry with the same key is answered once, and each
        // command's message is there exactly once.
        let restartedPort = try ServerProcess.freePort()
        let restarted = try ServerProcess.serve(database: database, port: restartedPort)
        do {
            try await ServerProcess.waitUntilReady(port: restartedPort)
            for index in 2...3 {
                let retry = try await post(restartedPort, index)
                let again = try await post(restartedPort, index)
                #expect(retry.status == 201 && again.status == 201)
                #expect(retry.body == again.body)
            }
            let log = try await Self.messages(port: restartedPort, token: try await tokens.token("auditor", staff: true), atLeast: 4)
            for (index, id) in rooms.enumerated() {
                #expect(log.texts(in: id) == ["message \(index)"])
            }
            #expect(log.versionsAreContiguous)
        } catch {
            restarted.kill(SIGKILL)
            throw error
        }
        restarted.kill(SIGTERM)
        #expect(await restarted.waitForExit() == 0)
        await TestDatabase.drop(database)
    }

    @Test func twoProcessesBatchingTheSameStreamsLoseDoubleAndReorderNothing() async throws {
        try await ServerProcess.withTwoServers { _, a, b in
            try await ServerProcess.waitUntilReady(port: a)
            try await ServerProcess.waitUntilReady(port: b)
            let tokens = await TokenService(secret: TestServer.secret)
            let alice = try await tokens.token("alice")
            let rooms = (0..<6).map { _ in TestServer.uniqueID("room") }
            var since = "0"
            for id in rooms {
                let created = try await ConcurrentClient.post(port: a, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(id)"}"#)
                since = created.body[member: "event_id"]?.asString ?? since
            }
            // A live reader on B from the rooms' creation: it must see every message once, in order.
            let topics = rooms.map { "room:\($0)" }.joined(separator: ",")
            let stream = try await SSEClient.open(port: b, path: "/v1/stream?topics=\(topics)&since=\(since)", token: alice)
            #expect(stream.status == .ok)
            let perProcess = 8 * 10
            // Eight writers per process, each going round the rooms: every batch holds several
            // rooms, and both processes write every room. A user each, within the rate limit.
            var writers: [(process: String, port: Int, writer: Int, token: String)] = []
            for (process, port) in [("a", a), ("b", b)] {
                for writer in 0..<8 {
                    let token = try await tokens.token("writer-\(process)-\(writer)")
                    for id in rooms {
                        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(id)/join", token: token, json: "{}").status == 200)
                    }
                    writers.append((process, port, writer, token))
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (process, port, writer, token) in writers {
                    group.addTask {
                        for n in 0..<10 {
                            let id = rooms[(writer + n) % rooms.count]
                            let reply = try await ConcurrentClient.post(
                                port: port, path: "/v1/rooms/\(id)/messages", token: token, json: #"{"text":"\#(process)-\#(writer)-\#(n)"}"#
                            )
                            #expect(reply.status == 201, "\(reply.body)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let live = try await SSEClient.read(stream) { messages in
                messages.filter { $0.event == "chat.message_posted" }.count >= 2 * perProcess
            }.filter { $0.event == "chat.message_posted" }

            let log = try await Self.messages(port: a, token: try await tokens.token("auditor", staff: true), atLeast: 2 * perProcess)
            let posted = log.events.filter { $0.type == "chat.message_posted" }
            #expect(posted.count == 2 * perProcess)
            #expect(Set(posted.map(\.text)).count == 2 * perProcess, "no message twice")
            #expect(log.versionsAreContiguous)
            #expect(live.compactMap(\.id) == posted.map(\.id), "the live reader saw the log, in its order")
        }
    }

    // MARK: Support

    /// Runs `body` while a transaction of the test holds the locks of `streams` (the ones
    /// `lock_stream` and `run_commands` take); `body` gets the function that releases them
    /// (they are released at the end in any case).
    static func holdingStreams<T: Sendable>(
        _ streams: [String], in database: DatabaseURL, _ body: (_ release: @escaping @Sendable () async throws -> Void) async throws -> T
    ) async throws -> T {
        try await TestDatabase.withConnection(database) { connection in
            _ = try await connection.query("BEGIN", logger: TestDatabase.logger)
            for stream in streams {
                _ = try await connection.query("SELECT pg_advisory_xact_lock(7401, hashtext(\(stream)))", logger: TestDatabase.logger)
            }
            let released = ReleasedOnce()
            let release: @Sendable () async throws -> Void = {
                if released.claim() { _ = try await connection.query("COMMIT", logger: TestDatabase.logger) }
            }
            do {
                let result = try await body(release)
                try await release()
                return result
            } catch {
                try? await release()
                throw error
            }
        }
    }

    final class ReleasedOnce: Sendable {
        private let done = Mutex(false)
        func claim() -> Bool { done.withLock { done in defer { done = true }; return !done } }
    }

    /// Until `count` sessions of the server wait for streams' locks the test holds.
    static func waitForBlockedAppends(_ count: Int, in database: DatabaseURL) async throws {
        try await eventually("\(count) batches to wait for the streams the test holds") {
            try await TestDatabase.scalar(
                """
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND classid = 7401 AND NOT granted
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """,
                on: database
            ) == Int64(count)
        }
    }

    /// Until `count` commands wait for the next batch on the server at `port`.
    static func waitForCommandsWaiting(_ count: Int, port: Int) async throws {
        try await eventually("\(count) commands to wait for the next batch") {
            try await metric("tideline_command_batch_waiting", port: port) == Double(count)
        }
    }

    /// How many batches the server at `port` sent with more than `size` commands.
    static func batches(ofMoreThan size: Int, port: Int) async throws -> Double {
        let text = try await ConcurrentClient.text(port: port, path: "/metrics")
        var atMost: Double = 0, all: Double = 0
        for line in text.split(separator: "\n") where line.hasPrefix("tideline_command_batch_size_bucket") {
            guard let le = line.firstRange(of: #"le=""#).map({ line[$0.upperBound...].prefix { $0 != "\"" } }),
                  let count = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if le == "+Inf" { all = count } else if Double(le) == Double(size) { atMost = count }
        }
        return all - atMost
    }

    /// A metric without labels, from the server's `/metrics`.
    static func metric(_ name: String, port: Int) async throws -> Double? {
        let text = try await ConcurrentClient.text(port: port, path: "/metrics")
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    struct Log {
        struct Event { var id: String; var stream: String; var version: Int64; var type: String; var text: String? }
        var events: [Event]

        func texts(in room: String) -> [String] {
            events.filter { $0.stream == "room-\(room)" && $0.type == "chat.message_posted" }.compactMap(\.text)
        }

        /// Each stream's versions are 1, 2, 3, … in log order.
        var versionsAreContiguous: Bool {
            var next: [String: Int64] = [:]
            for event in events {
                guard event.version == next[event.stream, default: 1] else { return false }
                next[event.stream] = event.version + 1
            }
            return true
        }
    }

    /// The whole log, as a staff reader pages it, once it holds `count` messages (the log's
    /// readers see an event once every older transaction has ended: the projector's and the
    /// reactor's may still be open when the last command is answered).
    static func messages(port: Int, token: String, atLeast count: Int) async throws -> Log {
        var log = Log(events: [])
        try await eventually("\(count) messages in the log") {
            log = try await wholeLog(port: port, token: token)
            return log.events.filter { $0.type == "chat.message_posted" }.count >= count
        }
        return log
    }

    static func wholeLog(port: Int, token: String) async throws -> Log {
        var events: [Log.Event] = []
        var after = "0"
        while true {
            let page = try await ConcurrentClient.get(port: port, path: "/v1/events?after=\(after)&limit=1000", token: token)
            let batch = page.body[member: "events"]?.asArray ?? []
            for event in batch {
                guard let id = event[member: "id"]?.asString, let stream = event[member: "stream"]?.asString,
                      let version = event[member: "version"]?.asInt, let type = event[member: "type"]?.asString else { continue }
                events.append(.init(id: id, stream: stream, version: version, type: type, text: event[member: "data"]?[member: "text"]?.asString))
            }
            guard !batch.isEmpty, let next = page.body[member: "next_after"]?.asString else { break }
            after = next
        }
        return Log(events: events)
    }
}

extension TokenService {
    /// A ten-minute token for `user`.
    fileprivate func token(_ user: String, staff: Bool = false) async throws -> String {
        try await sign(user: user, roles: staff ? ["staff"] : [], expiresAt: Date().addingTimeInterval(600))
    }
}
