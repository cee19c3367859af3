import API
import ArgumentParser
import EventStore
import Foundation

/// Where the database and the migrations are.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "postgres://user:pass@host:port/db, or ?host=/socket/dir for a unix socket. Env: DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "Folder of NNN_name.sql migrations. Env: TIDELINE_MIGRATIONS. Default: ./migrations, else the source tree's.")
    var migrations: String?

    func url() throws -> DatabaseURL {
        guard let raw = databaseURL ?? Environment.string("DATABASE_URL") else {
            throw ValidationError("a database is required: --database-url or DATABASE_URL")
        }
        do {
            return try DatabaseURL(raw)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func migrationsDirectory() -> URL {
        if let path = migrations ?? Environment.string("TIDELINE_MIGRATIONS") {
            return URL(fileURLWithPath: path)
        }
        return AppConfiguration.defaultMigrationsDirectory()
    }
}
