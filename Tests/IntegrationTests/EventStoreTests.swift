import EventStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// The event store against a real PostgreSQL: optimistic concurrency, immutability, and the
/// gap-free global order under concurrent writers with delayed commits.
@Suite struct EventStoreTests {
    static func event(_ n: Int) -> NewEvent {
        NewEvent(type: "test.happened", data: #"{"n":\#(n)}"#, metadata: #"{"actor":"test"}"#)
    }

    @Test func appendsAndReadsAStreamWithVersionsFromOne() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let first = try await store.append([Self.event(1), Self.event(2)], to: "thing-1", expectedVersion: .noStream)
            #expect(first.lastVersion == 2)
            #expect(first.lastPosition == first.firstPosition + 1)
            let second = try await store.append([Self.event(3)], to: "thing-1", expectedVersion: .exactly(2))
            #expect(second.lastVersion == 3)
            let events = try await store.readStream("thing-1")
            #expect(events.map(\.version) == [1, 2, 3])
            #expect(events.map(\.data) == [#"{"n": 1}"#, #"{"n": 2}"#, #"{"n": 3}"#])
            #expect(events.allSatisfy { $0.occurredAt.hasSuffix("Z") && $0.occurredAt.count == 24 })
            #expect(events.first?.category == "thing")
        }
    }

    @Test func wrongExpectedVersionIsATypedError() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            try await store.append([Self.event(1)], to: "thing-2", expectedVersion: .noStream)
            await #expect(throws: EventStoreError.self) {
                try await store.append([Self.event(2)], to: "thing-2", expectedVersion: .noStream)
            }
            await #expect(throws: EventStoreError.self) {
                try await store.append([Self.event(2)], to: "thing-2", expectedVersion: .exactly(5))
            }
            await #expect(throws: EventStoreError.self) {
                try await store.append([Self.event(2)], to: "thing-never", expectedVersion: .exactly(1))
            }
            let any = try await store.append([Self.event(2)], to: "thing-2", expectedVersion: .any)
            #expect(any.lastVersion == 2)
            #expect(try await store.readStream("thing-2").count == 2)
        }
    }

    @Test func concurrentWritersWithTheSameExpectedVersionHaveOneWinner() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            try await store.append([Self.event(0)], to: "race-1", expectedVersion: .noStream)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for n in 1...8 {
                    group.addTask {
                        (try? await store.append([Self.event(n)], to: "race-1", expectedVersion: .exactly(1))) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await store.readStream("race-1").map(\.version) == [1, 2])
        }
    }

    @Test func theDatabaseRejectsUpdateDeleteAndTruncateOfEvents() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            try await store.append([Self.event(1)], to: "thing-3", expectedVersion: .noStream)
        }
        for statement: PostgresQuery in [
            "UPDATE events SET type = 'tampered'",
            "DELETE FROM events",
            "TRUNCATE events",
        ] {
            await #expect(throws: PSQLError.self) {
                try await TestDatabase.withConnection(url) { try await $0.query(statement, logger: TestDatabase.logger) }
            }
        }
        #expect(try await TestDatabase.scalar("SELECT count(*) FROM events WHERE type = 'test.happened'", on: url) == 1)
    }

    /// Nothing writes events but the sequencer: an INSERT of its own is refused, even from the
    /// superuser the test connects as (privileges would not bind it), one with a pass that is
    /// not its own transaction's too, and the store's appends go on.
    @Test func eventsAreInsertedOnlyThroughTheSequencer() async throws {
        let url = try await TestDatabase.create()
        let insert: PostgresQuery = """
            INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
            VALUES (nextval('event_position_seq'), pg_current_xact_id(), 'thing-9', 1, 'test.happened', '{}', '{}', now())
            """
        do {
            _ = try await TestDatabase.withConnection(url) { try await $0.query(insert, logger: TestDatabase.logger) }
            Issue.record("a direct INSERT into events was accepted")
        } catch let error as PSQLError {
            #expect(error.serverInfo?[.sqlState] == "TL005")
        }
        await #expect(throws: PSQLError.self) {
            try await TestDatabase.withConnection(url) { connection in
                try await connection.withTransaction(logger: TestDatabase.logger) { connection in
                    try await connection.query("SELECT set_config('tideline.appending', '12345', true)", logger: TestDatabase.logger)
                    try await connection.query(insert, logger: TestDatabase.logger)
                }
            }
        }
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            try await store.append([Self.event(1), Self.event(2)], to: "thing-9", expectedVersion: .noStream)
        }
        #expect(try await TestDatabase.scalar("SELECT count(*) FROM events WHERE stream_name = 'thing-9'", on: url) == 2)
    }

    @Test func appendMustBeTheFirstWriteOfItsTransaction() async throws {
        let url = try await TestDatabase.create()
        await #expect(throws: PSQLError.self) {
            try await TestDatabase.withConnection(url) { connection in
                try await connection.withTransaction(logger: TestDatabase.logger) { connection in
                    try await connection.query("INSERT INTO checkpoints VALUES ('x', 1)", logger: TestDatabase.logger)
                    try await EventStore.append([Self.event(1)], to: "thing-4", expectedVersion: .any, snapshot: nil,
                                                on: connection, logger: TestDatabase.logger)
                }
            }
        }
    }

    /// The heart of the store: 8 writers whose transactions commit after random delays (so
    /// positions are taken in one order and become visible in another), some of which roll back,
    /// while a reader follows "after N". The reader must see every committed event exactly once,
    /// in increasing id order, and nothing that rolled back.
    @Test func aReaderFollowingTheLogNeverSkipsALateCommit() async throws {
        let url = try await TestDatabase.create()
        let writers = 8
        let transactionsPerWriter = 40
        try await TestDatabase.withClient(url, maximumConnections: writers + 2) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let logger = TestDatabase.logger

            let (committed, seen) = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var positions: [Int64] = []
                        for n in 0..<transactionsPerWriter {
                            let delayMs = Int.random(in: 0...15)
                            let rollBack = n % 9 == 4
                            do {
                                try await client.withConnection { connection in
                                    try await connection.withTransaction(logger: logger) { connection in
                                        let result = try await EventStore.append(
                                            [Self.event(n), Self.event(n)], to: "writer-\(writer)", expectedVersion: .any,
                                            snapshot: nil, on: connection, logger: logger
                                        )
                                        // Hold the transaction open after taking positions.
                                        try await connection.query("SELECT pg_sleep(\(Double(delayMs) / 1000))", logger: logger)
                                        if rollBack { throw CancellationError() }
                                        positions += [result.firstPosition, result.lastPosition]
                                    }
                                }
                            } catch is CancellationError {
                                // rolled back on purpose: its positions must never be seen
                            }
                        }
                        return positions
                    }
                }
                let writersDone = Mutex(false)
                let reader = Task {
                    var seen: [Int64] = []
                    var after: Int64 = 0
                    while !writersDone.withLock({ $0 }) {
                        let page = try await store.readAll(after: after, limit: 7)
                        seen += page.events.map(\.position)
                        after = page.events.last?.position ?? after
                        if page.events.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
                    }
                    return seen
                }
                var committed: [Int64] = []
                for try await positions in group { committed += positions }
                // Every writer has committed: the reader stops and goes on in the loop below.
                writersDone.withLock { $0 = true }
                var seen = try await reader.value
                var after = seen.last ?? 0
                // Caught up when the reader has every committed event, or has gone past the last one
                // (then something was skipped, which the expectations below report).
                let last = committed.max() ?? 0
                try await eventually("the reader to reach the last committed event") {
                    let page = try await store.readAll(after: after, limit: 100)
                    seen += page.events.map(\.position)
                    after = page.events.last?.position ?? after
                    return after >= last
                }
                return (committed, seen)
            }

            let committedTransactions = (0..<transactionsPerWriter).filter { $0 % 9 != 4 }.count
            #expect(committed.count == writers * committedTransactions * 2)
            #expect(seen == seen.sorted(), "ids arrive in increasing order")
            #expect(Set(seen).count == seen.count, "no event is delivered twice")
            #expect(Set(seen) == Set(committed), "every committed event is delivered, nothing rolled back is")
        }
    }

    @Test func aReaderWaitsBehindAnOpenOlderTransaction() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let logger = TestDatabase.logger
            // An older transaction takes its position and stays open...
            try await TestDatabase.withConnection(url) { slow in
                try await slow.query("BEGIN", logger: logger)
                let early = try await EventStore.append([Self.event(1)], to: "slow-1", expectedVersion: .any, snapshot: nil, on: slow, logger: logger)
                // ...while a younger one commits a later position.
                let late = try await store.append([Self.event(2)], to: "fast-1", expectedVersion: .any)
                #expect(late.firstPosition > early.firstPosition)
                let blocked = try await store.readAll(after: 0, limit: 10)
                #expect(blocked.events.isEmpty, "the later event is withheld until the earlier one is decided")
                #expect(blocked.hasPendingCommits)
                try await slow.query("COMMIT", logger: logger)
                // Other tests' transactions on the same cluster may hold the frontier a moment longer.
                var released = try await store.readAll(after: 0, limit: 10)
                try await eventually("both events to be released") {
                    released = try await store.readAll(after: 0, limit: 10)
                    return released.events.count >= 2
                }
                #expect(released.events.map(\.position) == [early.firstPosition, late.firstPosition])
            }
        }
    }
}
