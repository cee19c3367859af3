import ArgumentParser
import EventStore
import Foundation
import Logging
import PostgresNIO
import Realtime

/// The replay's baseline: the same events read straight from PostgreSQL in one streamed query
/// and serialised into the frame Tideline would send. What a replay costs beyond this is the
/// server's paging, ordering and delivery.
struct ReplaySQL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-sql",
        abstract: "Read a stream from PostgreSQL and serialise each event as a WebSocket frame; print events/s."
    )

    @Option(help: "postgres://… of Tideline's database. Env: DATABASE_URL.")
    var databaseURL: String = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""

    @Option(help: "The stream, e.g. room-general.") var stream: String

    func validate() throws {
        guard !databaseURL.isEmpty else { throw ValidationError("--database-url or DATABASE_URL is required") }
    }

    func run() async throws {
        var logger = Logger(label: "tideline-bench")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: try DatabaseURL(databaseURL).clientConfiguration(maximumConnections: 1), backgroundLogger: logger)
        let stream = self.stream
        let topic = jsonString(stream.hasPrefix("room-") ? "room:" + stream.dropFirst(5) : stream)
        let clock = ContinuousClock()
        let cpu = CPUUsage()
        let start = clock.now
        let (events, bytes) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            group.addTask { await client.run(); return (0, 0) }
            let counts = try await client.withConnection { connection in
                // The server's own columns (EventStore.columns): occurred_at formatted by PostgreSQL,
                // data and metadata as their JSON text, so nothing is decoded and re-encoded.
                let rows = try await connection.query(
                    """
                    SELECT position, stream_name, version, type,
                           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), data::text, metadata::text
                    FROM events WHERE stream_name = \(stream) ORDER BY position
                    """,
                    logger: logger
                )
                var events = 0, bytes = 0
                for try await (position, name, version, type, occurredAt, data, metadata)
                    in rows.decode((Int64, String, Int64, String, String, String, String).self)
                {
                    let frame = #"{"type":"event","topic":\#(topic),"event":{"id":"\#(position)","stream":\#(jsonString(name)),"version":\#(version),"type":\#(jsonString(type)),"occurred_at":"\#(occurredAt)","data":\#(data),"metadata":\#(metadata)}}"#
                    events += 1
                    bytes += frame.utf8.count
                    if events % 100_000 == 0 { progress("replay-sql: \(events) events") }
                }
                return (events, bytes)
            }
            group.cancelAll()
            return counts
        }
        let elapsed = clock.now - start

        var report = Report(scenario: "replay-sql")
        report["events"] = .int(events)
        report["bytes"] = .int(bytes)
        report["seconds"] = .double(elapsed.seconds)
        report["events_per_second"] = .double(Double(events) / elapsed.seconds)
        report["client_cpu_percent"] = .double(cpu.percentSinceStart)
        report.print()
    }
}
