import ArgumentParser
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Appends one event per transaction from N concurrent tasks for a fixed time, through the
/// event store's own code path, and prints events per second.
struct AppendLoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append one ~300-byte event per transaction from concurrent clients; print events/s."
    )

    @Option(help: "postgres://… of a migrated database. Env: DATABASE_URL.")
    var databaseURL: String = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""

    @Option(help: "Concurrent appenders (each with its own connection).")
    var clients: Int = 8

    @Option(help: "Seconds to run.")
    var seconds: Int = 10

    func validate() throws {
        guard !databaseURL.isEmpty else { throw ValidationError("--database-url or DATABASE_URL is required") }
        guard (1...256).contains(clients), (1...600).contains(seconds) else {
            throw ValidationError("--clients must be 1-256 and --seconds 1-600")
        }
    }

    func run() async throws {
        let url = try DatabaseURL(databaseURL)
        var logger = Logger(label: "tideline-bench")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: clients), backgroundLogger: logger)
        let store = EventStore(client: DatabasePool(client), logger: logger)
        // The shape of a chat message: the same payload pgbench inserts in scripts/bench-append.
        let data = #"{"room_id":"general","message_id":"m-0123456789abcdef0123456789abcdef","author":"alice","text":"hello there, this is a benchmark message of some length","client_msg_id":"c-1"}"#
        let metadata = #"{"actor":"alice","command_id":"0123456789abcdef0123456789abcdef","correlation_id":"0123456789abcdef0123456789abcdef","causation_id":null}"#
        let run = UUID().uuidString.prefix(8)
        let duration = Duration.seconds(seconds)

        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask { await client.run(); return 0 }
            let counts = try await withThrowingTaskGroup(of: Int.self) { appenders in
                for worker in 0..<clients {
                    appenders.addTask {
                        let deadline = ContinuousClock.now + duration
                        var appended = 0
                        while ContinuousClock.now < deadline {
                            try await store.append(
                                [NewEvent(type: "chat.message_posted", data: data, metadata: metadata)],
                                to: "bench-\(run)-\(worker)", expectedVersion: .any
                            )
                            appended += 1
                        }
                        return appended
                    }
                }
                return try await appenders.reduce(0, +)
            }
            group.cancelAll()
            return counts
        }
        let rate = Double(total) / Double(seconds)
        print("append-loop clients=\(clients) seconds=\(seconds) events=\(total) events_per_second=\(Int(rate))")
    }
}
