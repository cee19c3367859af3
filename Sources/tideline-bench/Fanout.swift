import ArgumentParser
import Foundation

/// Fan-out capacity: N WebSocket subscribers spread over R rooms, posts at a steady total rate
/// spread over the same rooms; counts every `event` frame delivered and how fast.
struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N WebSocket subscribers over R rooms, posts at P/s; print deliveries/s and latency."
    )

    @Option(help: "The server (Tideline with --dev, the baseline hub, or nats-server's ws:// listener).")
    var server: String = "http://127.0.0.1:8080"
    @Option(name: .customLong("protocol"), help: "tideline or nats.") var liveProtocol: LiveProtocol = .tideline
    @Option(help: "WebSocket subscribers; subscriber i follows room i % rooms.") var subscribers: Int = 1000
    @Option(help: "Rooms.") var rooms: Int = 10
    @Option(help: "Posts per second, all rooms together; post k goes to room k % rooms.") var rate: Int = 100
    @Option(help: "Seconds of posting.") var seconds: Int = 10
    @Option(help: "WebSocket handshakes in flight at once.") var connecting: Int = 200
    @Option(help: "Seconds to wait for the last deliveries after the last post.") var drainSeconds: Int = 10

    func validate() throws {
        guard (1...50_000).contains(subscribers), (1...subscribers).contains(rooms), (1...10_000).contains(rate), (1...600).contains(seconds) else {
            throw ValidationError("--subscribers 1-50000, --rooms 1-subscribers, --rate 1-10000, --seconds 1-600")
        }
    }

    func run() async throws {
        let server = self.server
        switch liveProtocol {
        case .nats:
            try await NATSPublisher.with(url: server) { try await measure(NATSTarget(url: server, publisher: $0)) }
        case .tideline:
            try await TidelineHTTP.withClient(connections: 64) { http in
                try await measure(TidelineTarget.signIn(TidelineHTTP(http: http, server: server)))
            }
        }
    }

    private func measure(_ target: any LiveTarget) async throws {
        let runID = String(UUID().uuidString.prefix(8).lowercased())
        let roomNames = (0..<rooms).map { "bench-\(runID)-r\($0)" }
        try await target.createRooms(roomNames)
        progress("fanout: \(subscribers) subscribers over \(rooms) rooms at \(server)")

        let clock = ContinuousClock()
        let origin = clock.now
        let latencies = LatencyRecorder()
        let delivered = Counter()
        let tally = ConnectionTally()
        // Accepted posts per room: a room's post is owed to each of its subscribers.
        let accepted = (0..<rooms).map { _ in Counter() }
        // Subscribers per room that are really subscribed.
        let listening = (0..<rooms).map { _ in Counter() }
        let (subscriberCount, roomCount, posts) = (subscribers, rooms, rate * seconds)
        var postErrors = 0
        var window = Duration.zero
        var cpuPercent = Double.nan

        await withTaskGroup(of: Void.self) { group in
            await OpeningGate.launch(count: subscriberCount, limit: connecting, in: &group) { index, slot in
                let subscriber = target.subscriber(room: roomNames[index % roomCount])
                do {
                    try await subscriber.run(onCaughtUp: { tally.open(); listening[index % roomCount].add(); slot.release() }) { kind, frame, _ in
                        // Only this run's posts count: a live subscription may also receive the
                        // rooms' creation events if the server's feed publishes them after it registered.
                        guard kind == .event, let sent = ServerFrameScan.sentMicroseconds(in: frame) else { return true }
                        delivered.add()
                        latencies.record(microseconds: (clock.now - origin).microseconds - sent)
                        return true
                    }
                } catch {
                    tally.fail(error, opened: slot.isReleased)
                }
            }
            do {
                try await tally.waitForAll(subscriberCount, timeout: .seconds(300), what: "fanout subscribers")
                progress("fanout: \(tally.opened) subscribed; posting \(rate)/s for \(seconds) s")
                let cpu = CPUUsage()
                let start = clock.now
                let steady = SteadyPoster(rate: rate, count: posts, clock: clock, origin: origin)
                postErrors = try await steady.run { number, sent in
                    let room = number % roomCount
                    let ok = await target.post(room: roomNames[room], number: number, text: TimedText.make(sentMicroseconds: sent), runID: runID)
                    if ok { accepted[room].add() }
                    return ok
                }
                let owed = Self.expected(accepted: accepted, listening: listening)
                let deadline = clock.now + .seconds(drainSeconds)
                while delivered.current < owed, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                window = clock.now - start
                cpuPercent = cpu.percentSinceStart
            } catch {
                progress("fanout: \(error)")
            }
            group.cancelAll()
        }
        if postErrors > 0 { progress("fanout: \(postErrors) posts failed") }

        let deliveries = delivered.current
        var report = Report(scenario: "fanout")
        report["subscribers"] = .int(subscribers)
        report["subscribed"] = .int(tally.opened)
        report["rooms"] = .int(rooms)
        report["rate"] = .int(rate)
        report["seconds"] = .int(seconds)
        report["posts"] = .int(posts - postErrors)
        report["post_errors"] = .int(postErrors)
        report["expected_deliveries"] = .int(Self.expected(accepted: accepted, listening: listening))
        report["deliveries"] = .int(deliveries)
        report["window_seconds"] = .double(window.seconds)
        report["deliveries_per_second"] = .double(window > .zero ? Double(deliveries) / window.seconds : .nan)
        report["client_cpu_percent"] = .double(cpuPercent)
        report.add(latencies.summary, percentiles: [.p50, .p90, .p99])
        report.print()
    }

    private static func expected(accepted: [Counter], listening: [Counter]) -> Int {
        zip(accepted, listening).reduce(0) { $0 + $1.0.current * $1.1.current }
    }
}
