import Foundation
import Logging
import PostgresNIO

/// Applies `migrations/NNN_name.sql` files in order, each in its own transaction, recorded in
/// `schema_migrations`. A session advisory lock serialises servers that start at the same time,
/// and a file whose text changed after it was applied stops start-up: the database no longer
/// matches the code that describes it.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    public struct MigrationError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Advisory lock key for migrations (the event store uses classes 7401 and 7402).
    static let lockKey: Int64 = 7400
    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads every `NNN_name.sql` in `directory`.
    public init(directory: URL, logger: Logger) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [Migration] = []
        for file in files where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError(description: "migration file \(file) is not named NNN_name.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError(description: "migrations \(clash.name) and \(file) share version \(version)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: file, sql: sql))
        }
        guard !migrations.isEmpty else {
            throw MigrationError(description: "no migrations found in \(directory.path)")
        }
        self.init(migrations: migrations, logger: logger)
    }

    /// Applies the pending migrations and returns the names of those it applied.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let applied = try await applyPending(on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return applied
        } catch {
            // The lock belongs to the session; closing the connection releases it too.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     NOT NULL,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
            )
            """,
            logger: logger
        )
        var recorded: [Int: (name: String, checksum: String)] = [:]
        let rows = try await connection.query("SELECT version, name, checksum FROM schema_migrations", logger: logger)
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            recorded[version] = (name, checksum)
        }
        // PL/pgSQL's EXECUTE runs a string of several statements, which the extended query
        // protocol cannot; the file's text travels as a bind parameter, never spliced into SQL.
        try await connection.query(
            """
            CREATE OR REPLACE FUNCTION pg_temp.tideline_execute(sql text) RETURNS void
            LANGUAGE plpgsql AS $$ BEGIN EXECUTE sql; END $$
            """,
            logger: logger
        )
        var applied: [String] = []
        for migration in migrations {
            let checksum = try await md5(migration.sql, on: connection)
            if let existing = recorded[migration.version] {
                guard existing.checksum == checksum else {
                    throw MigrationError(description: """
                        migration \(migration.name) changed after it was applied (as \(existing.name)); \
                        migrations are forward-only: restore the file and add a new one
                        """)
                }
                continue
            }
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_temp.tideline_execute(\(migration.sql))", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """,
                    logger: logger
                )
            }
            applied.append(migration.name)
        }
        for version in recorded.keys where !migrations.contains(where: { $0.version == version }) {
            logger.warning("database has a migration this build does not know", metadata: ["version": "\(version)"])
        }
        return applied
    }

    private func md5(_ text: String, on connection: PostgresConnection) async throws -> String {
        let rows = try await connection.query("SELECT md5(\(text))", logger: logger)
        for try await digest in rows.decode(String.self) { return digest }
        preconditionFailure("md5 returns one row")
    }
}
