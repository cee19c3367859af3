import ArgumentParser
import Foundation
import Synchronization

/// Closed-loop posting: N clients, each its own user on its own keep-alive connection, post
/// messages as fast as the server answers. Measures commands per second and their latency.
struct Throughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N clients post messages in a closed loop; print requests/s and latency percentiles."
    )

    @Option(help: "The server (Tideline with --dev, or the baseline hub).") var server: String = "http://127.0.0.1:8080"
    @Option(help: "Concurrent clients, each its own user and connection.") var clients: Int = 8
    @Option(help: "Rooms; client i posts to room i % rooms (default: one per client).") var rooms: Int?
    @Option(help: "Seconds measured, after the warm-up.") var seconds: Int = 10
    @Option(help: "Seconds of posting before measuring.") var warmupSeconds: Int = 2
    @Flag(help: "Report the median of each stage of the server's Server-Timing header (measured window).")
    var serverTiming = false

    func validate() throws {
        guard (1...4096).contains(clients), (1...600).contains(seconds), (0...60).contains(warmupSeconds) else {
            throw ValidationError("--clients 1-4096, --seconds 1-600, --warmup-seconds 0-60")
        }
        if let rooms, !(1...clients).contains(rooms) { throw ValidationError("--rooms must be 1-clients") }
    }

    /// Counts of requests started inside the measured window; `accepted` counts every command
    /// the server accepted, warm-up and setup included (what its database did work for).
    private final class Tally: Sendable {
        let counts = Mutex((requests: 0, errors: 0))
        let accepted = Counter()
        let firstError = Mutex<String?>(nil)
    }

    func run() async throws {
        try await TidelineHTTP.withClient(connections: clients) { http in
            try await measure(TidelineHTTP(http: http, server: server))
        }
    }

    private func measure(_ api: TidelineHTTP) async throws {
        let roomCount = rooms ?? clients
        let runID = String(UUID().uuidString.prefix(8).lowercased())
        let roomNames = (0..<roomCount).map { "bench-\(runID)-r\($0)" }
        progress("throughput: \(clients) clients on \(roomCount) rooms at \(server)")

        let tokens = try await concurrently(clients) { try await api.token(user: "bench-\(runID)-u\($0)") }
        // The first client of each room creates it (and so is a member); the others join.
        try await concurrently(roomCount) { try await api.createRoom(roomNames[$0], token: tokens[$0]) }
        if clients > roomCount {
            try await concurrently(clients - roomCount) { offset in
                let client = roomCount + offset
                try await api.join(roomNames[client % roomCount], token: tokens[client])
            }
        }

        let clock = ContinuousClock()
        let measureFrom = clock.now + .seconds(warmupSeconds)
        let measureUntil = measureFrom + .seconds(seconds)
        let latencies = LatencyRecorder()
        let tally = Tally()
        tally.accepted.add(roomCount + max(clients - roomCount, 0))
        let stages = StageRecorder()
        let collectStages = serverTiming
        progress("throughput: posting (\(warmupSeconds) s warm-up, \(seconds) s measured)")
        let cpu = CPUUsage()
        await withTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                let room = roomNames[client % roomCount], token = tokens[client]
                group.addTask {
                    var sequence = 0
                    while clock.now < measureUntil {
                        sequence += 1
                        let started = clock.now
                        let text = TimedText.make(sentMicroseconds: 0)
                        let status: UInt?
                        var failure: String?
                        do {
                            let reply = try await api.postMessageReply(room: room, text: text, clientMessageID: "c-\(runID)-\(client)-\(sequence)", token: token)
                            status = reply.status
                            if (200..<300).contains(reply.status) {
                                tally.accepted.add()
                                if collectStages, started >= measureFrom { stages.record(header: reply.serverTiming) }
                            } else {
                                failure = "status \(reply.status)"
                            }
                        } catch {
                            status = nil
                            failure = String(describing: error)
                        }
                        guard started >= measureFrom else { continue }
                        let ok = failure == nil
                        tally.counts.withLock { $0.requests += 1; if !ok { $0.errors += 1 } }
                        if ok {
                            latencies.record(microseconds: (clock.now - started).microseconds)
                        } else {
                            tally.firstError.withLock { $0 = $0 ?? failure }
                            // A refused connection fails at once: do not spin on it.
                            if status == nil { try? await Task.sleep(for: .milliseconds(10)) }
                        }
                    }
                }
            }
        }
        let cpuPercent = cpu.percentSinceStart
        let counts = tally.counts.withLock { $0 }
        if let first = tally.firstError.withLock({ $0 }) { progress("throughput: \(counts.errors) errors; first: \(first)") }

        var report = Report(scenario: "throughput")
        report["server"] = .string(server)
        report["clients"] = .int(clients)
        report["rooms"] = .int(roomCount)
        report["seconds"] = .int(seconds)
        report["requests"] = .int(counts.requests)
        report["errors"] = .int(counts.errors)
        report["per_second"] = .double(Double(counts.requests - counts.errors) / Double(seconds))
        report.add(latencies.summary, percentiles: [.p50, .p90, .p99])
        report["client_cpu_percent"] = .double(cpuPercent)
        report["commands_total"] = .int(tally.accepted.current)
        for stage in stages.medians {
            report["server_timing_\(stage.name)_p50_ms"] = .double(stage.milliseconds)
            report["server_timing_\(stage.name)_count"] = .int(stage.count)
        }
        report.print()
    }
}

/// Runs `body(0..<count)` concurrently (setup calls: tokens, rooms) and returns results in order.
@discardableResult
func concurrently<T: Sendable>(_ count: Int, limit: Int = 64, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        while next < min(limit, count) {
            let index = next
            group.addTask { (index, try await body(index)) }
            next += 1
        }
        while let (index, value) = try await group.next() {
            results[index] = value
            if next < count {
                let index = next
                group.addTask { (index, try await body(index)) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
