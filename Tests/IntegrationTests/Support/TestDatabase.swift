import API
import EventStore
import Foundation
import Logging
import PostgresNIO

/// A fresh, migrated database per test on the throwaway cluster `scripts/test` starts, so tests
/// run in parallel without seeing each other's data.
enum TestDatabase {
    static let logger: Logger = {
        var logger = Logger(label: "tideline-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    struct NotConfigured: Error, CustomStringConvertible {
        let description = "TIDELINE_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL"
    }

    /// The server's administrative URL (a superuser on the `postgres` database).
    static func serverURL() throws -> DatabaseURL {
        guard let raw = ProcessInfo.processInfo.environment["TIDELINE_TEST_DATABASE_URL"] else { throw NotConfigured() }
        return try DatabaseURL(raw)
    }

    static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations")
    }

    /// Creates a database with a unique name: a copy of a migrated template (made once per test
    /// run), or an empty one when `migrated` is false.
    static func create(migrated: Bool = true) async throws -> DatabaseURL {
        let server = try serverURL()
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let template = migrated ? try await migratedTemplate.value : "template1"
        _ = try await withConnection(server) { connection in
            try await connection.query("CREATE DATABASE \(unescaped: name) TEMPLATE \(unescaped: template)", logger: logger)
        }
        return server.with(database: name)
    }

    /// Drops a test's database (its server must have stopped using it).
    static func drop(_ url: DatabaseURL) async {
        _ = try? await withConnection(try serverURL()) { connection in
            try await connection.query("DROP DATABASE IF EXISTS \(unescaped: url.database) WITH (FORCE)", logger: logger)
        }
    }

    /// A migrated database that every test's database is copied from: copying is faster than
    /// migrating each one, and each test still starts from the schema the migrations describe.
    private static let migratedTemplate = Task<String, any Error> {
        let server = try serverURL()
        let name = "tl_template_" + UUID().uuidString.prefix(8).lowercased()
        _ = try await withConnection(server) { connection in
            try await connection.query("CREATE DATABASE \(unescaped: name)", logger: logger)
        }
        try await migrate(database: server.with(database: name), directory: migrationsDirectory, logger: logger)
        return name
    }

    /// One dedicated connection for the body's duration, closed on every path.
    static func withConnection<T: Sendable>(_ url: DatabaseURL, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 99, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A running connection pool for the body's duration.
    static func withClient<T: Sendable>(_ url: DatabaseURL, maximumConnections: Int = 20, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `body` in one transaction that may insert into `events` directly: a deliberate
    /// bulk load of history (posting it would take most of a test's time) carries the pass
    /// that otherwise only `append_events` holds (migration 006).
    static func bulkLoad(_ url: DatabaseURL, _ body: @escaping (PostgresConnection) async throws -> Void) async throws {
        try await withConnection(url) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                try await connection.query("SELECT set_config('tideline.appending', pg_current_xact_id()::text, true)", logger: logger)
                try await body(connection)
                try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// The first column of the first row as an Int64 (counts and positions in assertions).
    static func scalar(_ query: PostgresQuery, on url: DatabaseURL) async throws -> Int64 {
        try await withConnection(url) { connection in
            for try await value in try await connection.query(query, logger: logger).decode(Int64.self) { return value }
            return 0
        }
    }
}
