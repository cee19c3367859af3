import API
import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Log level. Env: LOG_LEVEL.")
    var logLevel: String = Environment.string("LOG_LEVEL") ?? "info"

    func run() async throws {
        let logger = makeLogger(label: "tideline-migrate", level: logLevel)
        try await migrate(database: try database.url(), directory: database.migrationsDirectory(), logger: logger)
    }
}
