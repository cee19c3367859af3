import API
import EventStore
import Foundation
import Testing

@Suite struct MigrationTests {
    @Test func applyingMigrationsTwiceIsANoOp() async throws {
        let url = try await TestDatabase.create(migrated: false)
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger)
        let first = try await TestDatabase.withConnection(url) { try await migrator.migrate(on: $0) }
        #expect(first == migrator.migrations.map(\.name))
        let second = try await TestDatabase.withConnection(url) { try await migrator.migrate(on: $0) }
        #expect(second.isEmpty)
        #expect(try await TestDatabase.scalar("SELECT count(*) FROM schema_migrations", on: url) == Int64(first.count))
    }

    @Test func serversStartingTogetherApplyEachMigrationOnce() async throws {
        let url = try await TestDatabase.create(migrated: false)
        let migrator = try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger)
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { try await TestDatabase.withConnection(url) { try await migrator.migrate(on: $0) } }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(applied.sorted() == migrator.migrations.map(\.name).sorted())
    }

    @Test func aMigrationChangedAfterItWasAppliedStopsStartUp() async throws {
        let url = try await TestDatabase.create()
        let original = try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger)
        var edited = original.migrations
        edited[0].sql += "\n-- an innocent-looking edit\n"
        let migrator = Migrator(migrations: edited, logger: TestDatabase.logger)
        await #expect(throws: Migrator.MigrationError.self) {
            try await TestDatabase.withConnection(url) { try await migrator.migrate(on: $0) }
        }
    }

    /// Migration 008 on messages projected before it: an id of exactly `srv-` and a lower-case
    /// UUID (what the server generated) answers null, every other id (a client's, or one that
    /// only looks generated) answers itself.
    @Test func messagesProjectedBeforeMigration008AnswerNullOnlyForAGeneratedID() async throws {
        let url = try await TestDatabase.create(migrated: false)
        let all = try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger)
        let before = Migrator(migrations: all.migrations.filter { $0.version < 8 }, logger: TestDatabase.logger)
        try await TestDatabase.withConnection(url) { _ = try await before.migrate(on: $0) }
        let stored = [
            "srv-3f2a9c1e-0b4d-4c6a-9e1f-2a3b4c5d6e7f",  // generated
            "c-1",  // a client's
            "srv-3F2A9C1E-0B4D-4C6A-9E1F-2A3B4C5D6E7F",  // upper case: not the server's shape
            "srv-3f2a9c1e-0b4d-4c6a-9e1f-2a3b4c5d6e7f-x",  // longer
        ]
        for (index, id) in stored.enumerated() {
            _ = try await TestDatabase.scalar("""
                WITH i AS (INSERT INTO messages (event_id, room_id, message_id, author, text, client_msg_id, occurred_at)
                           VALUES (\(Int64(index + 1)), 'r', \("m-\(index)"), 'ann', 'hi', \(id), now()) RETURNING 1)
                SELECT count(*) FROM i
                """, on: url)
        }
        try await TestDatabase.withConnection(url) { _ = try await all.migrate(on: $0) }
        try await TestServer.run(database: url) { server in
            // The room itself, as the server creates it (a room exists by its stream); its
            // creation adds no message.
            try await server.createRoom("r", by: "ann")
            let page = try await server.get("/v1/rooms/r/messages", as: "ann")
            let answered = page.array("messages").map { $0[member: "client_msg_id"] }
            #expect(answered == [.null, .string("c-1"), .string(stored[2]), .string(stored[3])], "\(page.text)")
        }
        await TestDatabase.drop(url)
    }

    @Test func theMigrateCommandAppliesAndThenHasNothingToDo() async throws {
        let url = try await TestDatabase.create(migrated: false)
        let first = try await ServerProcess.run(["migrate"], database: url)
        #expect(first.status == 0, "\(first.output)")
        let second = try await ServerProcess.run(["migrate"], database: url)
        #expect(second.status == 0, "\(second.output)")
        let files = try Migrator(directory: TestDatabase.migrationsDirectory, logger: TestDatabase.logger).migrations.count
        #expect(try await TestDatabase.scalar("SELECT count(*) FROM schema_migrations", on: url) == Int64(files))
    }
}
