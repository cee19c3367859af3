import API
import ArgumentParser

/// `tideline after-restore`: run once on a database restored from `pg_dump` into another
/// cluster, before (or while) serving it (docs/operations.md).
struct AfterRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "after-restore",
        abstract: "Make an event store restored from pg_dump into another cluster readable again.",
        discussion: """
            Stored transaction ids only mean something in the cluster that wrote them; restored \
            elsewhere, readers would skip the restored history. This rewrites them so every \
            restored event is final. Safe to run again, and while servers run (appends wait for it).
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Log level. Env: LOG_LEVEL.")
    var logLevel: String = Environment.string("LOG_LEVEL") ?? "info"

    func run() async throws {
        let logger = makeLogger(label: "tideline-after-restore", level: logLevel)
        let url = try database.url()
        try await migrate(database: url, directory: database.migrationsDirectory(), logger: logger)
        let rewritten = try await makeRestoredHistoryReadable(database: url, logger: logger)
        print(rewritten == 0
            ? "nothing to do: every stored event is readable"
            : "\(rewritten) restored events are readable again")
    }
}
