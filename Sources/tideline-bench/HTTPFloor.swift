import ArgumentParser

/// The floor under every command: a trivial request (`GET /health`, no auth, no database) on
/// one keep-alive connection in a closed loop. What a command costs above this is the server's
/// own work (JWT, decide, JSON, database).
struct HTTPFloor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-floor",
        abstract: "GET a trivial path on one keep-alive connection in a closed loop; print latency percentiles."
    )

    @Option(help: "The server.") var server: String = "http://127.0.0.1:8080"
    @Option(help: "The path requested.") var path: String = "/health"
    @Option(help: "Seconds measured, after one second of warm-up.") var seconds: Int = 3

    func validate() throws {
        guard (1...600).contains(seconds), path.hasPrefix("/") else { throw ValidationError("--seconds 1-600, --path /…") }
    }

    func run() async throws {
        try await TidelineHTTP.withClient(connections: 1) { http in
            let api = TidelineHTTP(http: http, server: server)
            let clock = ContinuousClock()
            let measureFrom = clock.now + .seconds(1)
            let measureUntil = measureFrom + .seconds(seconds)
            let latencies = LatencyRecorder()
            var (requests, errors) = (0, 0)
            while clock.now < measureUntil {
                let started = clock.now
                let status = try? await api.get(path)
                guard started >= measureFrom else { continue }
                requests += 1
                if (200..<300).contains(status ?? 0) {
                    latencies.record(microseconds: (clock.now - started).microseconds)
                } else {
                    errors += 1
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            var report = Report(scenario: "http-floor")
            report["server"] = .string(server)
            report["path"] = .string(path)
            report["requests"] = .int(requests)
            report["errors"] = .int(errors)
            report["per_second"] = .double(Double(requests - errors) / Double(seconds))
            report.add(latencies.summary, percentiles: [.p50, .p90, .p99])
            report.print()
        }
    }
}
