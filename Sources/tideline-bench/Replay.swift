import ArgumentParser
import Foundation

/// Catch-up speed: one client resumes a room from the beginning (`since=0`) and counts the
/// replayed events, keeping none of them, so a million events cost no memory here.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a room from since=0 over WebSocket or SSE; print events/s."
    )

    @Option(help: "The server (Tideline with --dev).") var server: String = "http://127.0.0.1:8080"
    @Option(help: "The room to replay.") var room: String
    @Option(help: "ws (counts until caught_up) or sse (counts until --expect events).") var kind: Connections.Kind = .ws
    @Option(help: "Events the room holds: SSE stops there; WebSocket warns when it differs.") var expect: Int
    @Option(help: "Give up after this many seconds.") var timeoutSeconds: Int = 600

    func run() async throws {
        try await TidelineHTTP.withClient(connections: 8) { http in
            try await measure(TidelineHTTP(http: http, server: server))
        }
    }

    private func measure(_ api: TidelineHTTP) async throws {
        let token = try await api.token(user: "bench-replayer")
        let clock = ContinuousClock()
        let cpu = CPUUsage()
        let start = clock.now
        let events = Counter()
        let expect = self.expect
        progress("replay: \(kind.rawValue) room:\(room) since=0, expecting \(expect) events")
        let timedOut = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { [kind, room] in
                switch kind {
                case .ws:
                    let subscriber = WebSocketSubscriber(url: api.webSocketURL(token: token), room: room, since: "0")
                    try await subscriber.run(onCaughtUp: {}) { frameKind, _, count in
                        if frameKind == .event { events.add() }
                        if count % 100_000 == 0, frameKind == .event { progress("replay: \(count) events") }
                        return frameKind != .caughtUp
                    }
                case .sse:
                    var counter = SSEEventCounter()
                    var reported = 0
                    try await SSEStream(api: api, token: token, topics: "room:\(room)", since: "0").run(onOpen: {}) { chunk in
                        counter.consume(chunk)
                        if counter.events - reported >= 100_000 {
                            reported = counter.events
                            progress("replay: \(reported) events")
                        }
                        return counter.events < expect
                    }
                    events.add(counter.events)
                }
                return false
            }
            group.addTask { [timeoutSeconds] in
                try await Task.sleep(for: .seconds(timeoutSeconds))
                return true
            }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        let elapsed = clock.now - start
        let cpuPercent = cpu.percentSinceStart
        if timedOut { progress("replay: timed out after \(timeoutSeconds) s") }
        if events.current != expect { progress("replay: \(events.current) events, expected \(expect)") }

        var report = Report(scenario: "replay")
        report["kind"] = .string(kind.rawValue)
        report["expected"] = .int(expect)
        report["events"] = .int(events.current)
        report["seconds"] = .double(elapsed.seconds)
        report["events_per_second"] = .double(Double(events.current) / elapsed.seconds)
        report["client_cpu_percent"] = .double(cpuPercent)
        report["timed_out"] = .int(timedOut ? 1 : 0)
        report.print()
    }
}
