import API
import ArgumentParser

/// `tideline`: the server and its tools (contract section 8).
@main
struct Tideline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tideline",
        abstract: "Tideline: an event-sourced real-time backend.",
        subcommands: [Serve.self, Migrate.self, Token.self, AfterRestore.self]
    )
}
