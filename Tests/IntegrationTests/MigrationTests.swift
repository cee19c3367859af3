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
