import ArgumentParser
import Foundation
import NIOCore

/// End-to-end latency: REST post → WebSocket receipt, with N subscribers on one room at a steady
/// post rate, possibly across several servers sharing one database (a post accepted by one must
/// reach subscribers of all). Percentiles over every delivery.
struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Post at a steady rate and measure post → WebSocket receipt across N subscribers."
    )

    @Option(help: "The server (Tideline with --dev, the baseline hub, or nats-server's ws:// listener).")
    var server: String = "http://127.0.0.1:8080"
    @Option(name: .customLong("protocol"), help: "tideline or nats.") var liveProtocol: LiveProtocol = .tideline
    @Option(help: "Several servers, comma-separated: subscribers and posts go round-robin over them.") var servers: String?
    @Option(help: "WebSocket subscribers on the room.") var subscribers: Int = 100
    @Option(help: "Posts per second.") var rate: Int = 100
    @Option(help: "Seconds of posting.") var seconds: Int = 10
    @Option(help: "WebSocket handshakes in flight at once.") var connecting: Int = 200
    @Flag(help: "Post over exactly one keep-alive connection, one post at a time (one server only).")
    var oneConnection = false
    @Option(help: "The server's process id: report its CPU use from the first post to the last delivery.")
    var serverPid: Int32?

    func validate() throws {
        guard (1...20_000).contains(subscribers), (1...5_000).contains(rate), (1...600).contains(seconds) else {
            throw ValidationError("--subscribers 1-20000, --rate 1-5000, --seconds 1-600")
        }
        guard !serverList.isEmpty else { throw ValidationError("--servers lists no server") }
        if oneConnection, serverList.count > 1 { throw ValidationError("--one-connection takes one server") }
        if liveProtocol == .nats, serverList.count > 1 || oneConnection {
            throw ValidationError("--protocol nats takes one server and publishes over one connection: no --servers, no --one-connection")
        }
    }

    private var serverList: [String] {
        (servers ?? server).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        if liveProtocol == .nats {
            let url = server
            try await NATSPublisher.with(url: url) { publisher in
                let target = NATSTarget(url: url, publisher: publisher)
                try await measure([target], posting: [target])
            }
            return
        }
        // Setup (tokens, the room) on one client, posts on another, so that --one-connection
        // really means one connection for the posts.
        try await TidelineHTTP.withClient(connections: 64) { http in
            try await TidelineHTTP.withClient(connections: oneConnection ? 1 : 64, ownThread: oneConnection) { postHTTP in
                // Tokens from each server: the baseline hubs share nothing, Tideline servers share the secret.
                let targets = try await concurrently(serverList.count) { try await TidelineTarget.signIn(TidelineHTTP(http: http, server: serverList[$0])) }
                let posting = targets.enumerated().map { $1.posting(through: TidelineHTTP(http: postHTTP, server: serverList[$0])) }
                try await measure(targets, posting: posting)
            }
        }
    }

    private func measure(_ targets: [any LiveTarget], posting postTargets: [any LiveTarget]) async throws {
        let runID = String(UUID().uuidString.prefix(8).lowercased())
        let room = "bench-\(runID)"
        try await targets[0].createRooms([room])
        progress("latency: \(subscribers) subscribers on room \(room) over \(targets.count) server(s)")

        let clock = ContinuousClock()
        let origin = clock.now
        let expected = rate * seconds
        let latencies = LatencyRecorder()
        let delivered = Counter()
        var posts = (sent: 0, failed: 0)
        var postingWindow = Duration.zero
        var serverCPU = Double.nan
        let tally = ConnectionTally()
        let subscriberCount = subscribers
        let cpu = CPUUsage()

        await withTaskGroup(of: Void.self) { group in
            await OpeningGate.launch(count: subscriberCount, limit: connecting, in: &group) { index, slot in
                let subscriber = targets[index % targets.count].subscriber(room: room)
                // Only this run's posts count: the room's creation events may also arrive live when
                // the server's feed publishes them after the subscription registered.
                let received = Counter()
                do {
                    try await subscriber.run(onCaughtUp: { tally.open(); slot.release() }) { kind, frame, _ in
                        guard kind == .event, let sent = ServerFrameScan.sentMicroseconds(in: frame) else { return true }
                        latencies.record(microseconds: (clock.now - origin).microseconds - sent)
                        delivered.add()
                        received.add()
                        return received.current < expected
                    }
                } catch {
                    tally.fail(error, opened: slot.isReleased)
                }
            }
            do {
                try await tally.waitForAll(subscriberCount, timeout: .seconds(120), what: "latency subscribers")
                progress("latency: \(tally.opened) subscribed; posting \(rate)/s for \(seconds) s")
                let post: @Sendable (Int, Int64) async -> Bool = { number, sent in
                    await postTargets[number % postTargets.count].post(room: room, number: number, text: TimedText.make(sentMicroseconds: sent), runID: runID)
                }
                let poster = SteadyPoster(rate: rate, count: expected, clock: clock, origin: origin)
                let start = clock.now
                let serverUsage = serverPid.map { ProcessCPU(pid: $0) }
                if oneConnection {
                    posts = try await poster.runOneAtATime(until: start + .seconds(seconds), post)
                } else {
                    posts = (expected, try await poster.run(post))
                }
                postingWindow = clock.now - start
                // Every subscriber stops after the last message; do not wait forever for a lost one.
                let deadline = clock.now + .seconds(10)
                while delivered.current < (posts.sent - posts.failed) * tally.opened, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                serverCPU = serverUsage?.percentSinceStart ?? .nan
            } catch {
                progress("latency: \(error)")
            }
            group.cancelAll()
        }
        let cpuPercent = cpu.percentSinceStart
        if posts.failed > 0 { progress("latency: \(posts.failed) posts failed") }
        let accepted = posts.sent - posts.failed

        var report = Report(scenario: "latency")
        report["subscribers"] = .int(subscribers)
        report["subscribed"] = .int(tally.opened)
        report["servers"] = .int(targets.count)
        report["rate"] = .int(rate)
        report["seconds"] = .int(seconds)
        report["one_connection"] = .int(oneConnection ? 1 : 0)
        report["posts_sent"] = .int(posts.sent)
        report["post_errors"] = .int(posts.failed)
        report["posting_seconds"] = .double(postingWindow.seconds)
        report["posts_per_second"] = .double(postingWindow > .zero ? Double(accepted) / postingWindow.seconds : .nan)
        report["expected"] = .int(accepted * subscribers)
        report["delivered"] = .int(delivered.current)
        report.add(latencies.summary, percentiles: [.p50, .p90, .p99, .p999])
        report["client_cpu_percent"] = .double(cpuPercent)
        report["server_cpu_percent"] = .double(serverCPU)
        report.print()
    }
}
