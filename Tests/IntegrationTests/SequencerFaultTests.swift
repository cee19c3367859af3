import EventStore
import Foundation
import PostgresNIO
import Testing

/// The sequencer's session lock (class 7402 in `append_events`) under faults: a cancel that lands
/// as the lock is granted, and a lock that something else holds. Either used to stop every
/// append on every server for good.
@Suite struct SequencerFaultTests {
    static let append: PostgresQuery = """
        SELECT first_position FROM append_events('fault-1', NULL, ARRAY['test.happened'], ARRAY['{}'], ARRAY['{}'], NULL)
        """

    /// Session advisory locks survive their transaction: an append cancelled just after the
    /// sequencer was granted to it must still release it, or its (pooled) connection keeps it.
    /// Fuzz-style: each round grants the lock to a waiting append and cancels that append in the
    /// same instant, so the cancel lands at a different point of the append each time.
    @Test(arguments: 0..<3) func aCancelAsTheSequencerIsGrantedNeverLeavesItHeld(batch: Int) async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withConnection(url) { holder in
            try await TestDatabase.withConnection(url) { appender in
                let appenderPID = try await Self.backendPID(appender)
                // A sequencer left held would make the next round's lock wait forever: fail instead.
                _ = try await holder.query("SET lock_timeout = '10s'", logger: TestDatabase.logger).collect()
                for _ in 0..<20 {
                    _ = try await holder.query("SELECT pg_advisory_lock(7402, 0)", logger: TestDatabase.logger)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            // Cancelled or not, what matters is what the connection holds after.
                            _ = try? await appender.query(Self.append, logger: TestDatabase.logger).collect()
                        }
                        try await eventually(limit: .seconds(30), "the append to wait for the sequencer") {
                            try await Self.count(
                                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = \(appenderPID) AND NOT granted",
                                on: holder
                            ) == 1
                        }
                        _ = try await holder.query(
                            "SELECT pg_advisory_unlock(7402, 0), pg_cancel_backend(\(appenderPID))", logger: TestDatabase.logger
                        ).collect()
                        try await group.waitForAll()
                    }
                    let held = try await Self.count(
                        // Advisory locks are per database; each batch has a database of its own.
                        """
                        SELECT count(*) FROM pg_locks
                        WHERE locktype = 'advisory' AND classid = 7402 AND granted
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                        """,
                        on: holder
                    )
                    #expect(held == 0, "the sequencer is still held after a cancelled append (batch \(batch))")
                    if held != 0 { return }
                }
            }
        }
        await TestDatabase.drop(url)
    }

    /// A sequencer held by something else (a leaked lock, a stuck session) makes appends fail
    /// after `lock_timeout`, and the API answers 503 with Retry-After, instead of every command
    /// waiting forever.
    @Test func aCommandFacingAHeldSequencerFailsWithRetryAfterInsteadOfHanging() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            try await TestDatabase.withConnection(server.database) { holder in
                _ = try await holder.query("SELECT pg_advisory_lock(7402, 0)", logger: TestDatabase.logger)
                let refused = try await withThrowingTaskGroup(of: TestServer.Reply?.self) { group in
                    group.addTask { try await server.postMessage("blocked", in: room, by: "alice") }
                    // A server that waits for the lock for good would hang the test: let go of it
                    // after a while, so that such a server answers 201 and the test fails.
                    group.addTask {
                        try await Task.sleep(for: .seconds(30))
                        return nil
                    }
                    var reply: TestServer.Reply?
                    while reply == nil, let next = try await group.next() {
                        reply = next
                        if reply == nil {
                            _ = try await holder.query("SELECT pg_advisory_unlock(7402, 0)", logger: TestDatabase.logger)
                        }
                    }
                    group.cancelAll()
                    return try #require(reply)
                }
                #expect(refused.status == .serviceUnavailable, "\(refused.text)")
                #expect(refused.headers[.retryAfter] != nil)
                _ = try await holder.query("SELECT pg_advisory_unlock_all()", logger: TestDatabase.logger)
            }
            #expect(try await server.postMessage("through", in: room, by: "alice").status == .created)
        }
    }

    static func backendPID(_ connection: PostgresConnection) async throws -> Int32 {
        for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: TestDatabase.logger).decode(Int32.self) {
            return pid
        }
        return 0
    }

    static func count(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> Int64 {
        for try await value in try await connection.query(query, logger: TestDatabase.logger).decode(Int64.self) { return value }
        return 0
    }
}
