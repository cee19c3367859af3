import ArgumentParser

/// `tideline-bench`: load generators for measuring Tideline next to a baseline. Each subcommand
/// prints progress to stderr and one JSON object as the last line of stdout, for `scripts/bench`.
@main
struct TidelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tideline-bench",
        abstract: "Measure Tideline (always next to a baseline: see scripts/bench).",
        subcommands: [AppendLoop.self, Throughput.self, HTTPFloor.self, Latency.self, Fanout.self, Connections.self, Replay.self, ReplaySQL.self, BaselineHub.self]
    )
}
