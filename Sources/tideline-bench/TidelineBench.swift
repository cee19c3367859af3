import ArgumentParser

/// `tideline-bench`: load generators for measuring Tideline next to a baseline.
@main
struct TidelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tideline-bench",
        abstract: "Measure Tideline (always next to a baseline: see scripts/bench-append).",
        subcommands: [AppendLoop.self, Latency.self]
    )
}
