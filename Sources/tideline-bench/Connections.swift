import ArgumentParser
import Foundation

/// Memory per idle connection: the server's resident set before and after opening N idle
/// WebSocket or SSE connections, all following one room.
struct Connections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open N idle WebSocket or SSE connections; print the server's memory per connection."
    )

    enum Kind: String, ExpressibleByArgument { case ws, sse }

    @Option(help: "The server (Tideline with --dev; the baseline hub or nats-server's ws:// listener for ws).")
    var server: String = "http://127.0.0.1:8080"
    @Option(name: .customLong("protocol"), help: "tideline or nats (ws only).") var liveProtocol: LiveProtocol = .tideline
    @Option(help: "Connections to open.") var count: Int = 1000
    @Option(help: "ws or sse.") var kind: Kind = .ws
    @Option(help: "The server's process id (its VmRSS is read from /proc/<pid>/status).") var serverPid: Int32
    @Option(help: "Seconds to hold the connections open after measuring.") var holdSeconds: Int = 3
    @Option(help: "Seconds to let the server settle once all are open.") var settleSeconds: Int = 2
    @Option(help: "Handshakes in flight at once.") var connecting: Int = 200

    func validate() throws {
        guard (1...50_000).contains(count) else { throw ValidationError("--count 1-50000") }
        if liveProtocol == .nats, kind != .ws { throw ValidationError("--protocol nats has no SSE: --kind ws") }
        guard (try? Self.residentKilobytes(of: serverPid)) != nil else {
            throw ValidationError("cannot read VmRSS of process \(serverPid)")
        }
    }

    func run() async throws {
        let (server, room) = (self.server, "bench-\(UUID().uuidString.prefix(8).lowercased())")
        if liveProtocol == .nats {
            // Idle subscribers publish nothing; the publisher connection is never used.
            try await NATSPublisher.with(url: server) { publisher in
                let subscriber = NATSTarget(url: server, publisher: publisher).subscriber(room: room)
                try await measure { onOpen in try await subscriber.run(onCaughtUp: onOpen) { _, _, _ in true } }
            }
            return
        }
        // SSE streams are HTTP responses: the pool must allow one connection per stream.
        try await TidelineHTTP.withClient(connections: kind == .sse ? count : 8) { http in
            let api = TidelineHTTP(http: http, server: server)
            let token = try await api.token(user: "bench-idle")
            try await api.createRoom(room, token: token)
            switch kind {
            case .ws:
                let subscriber = WebSocketSubscriber(url: api.webSocketURL(token: token), room: room)
                try await measure { onOpen in try await subscriber.run(onCaughtUp: onOpen) { _, _, _ in true } }
            case .sse:
                try await measure { onOpen in try await SSEStream(api: api, token: token, topics: "room:\(room)").run(onOpen: onOpen) { _ in true } }
            }
        }
    }

    /// Opens `count` connections with `connect`, which calls its argument once the connection is
    /// open and then holds it until cancelled.
    private func measure(_ connect: @escaping @Sendable (_ onOpen: @escaping @Sendable () -> Void) async throws -> Void) async throws {
        let before = try Self.residentKilobytes(of: serverPid)
        progress("connections: server RSS \(before) kB; opening \(count) \(kind.rawValue) connections")

        let tally = ConnectionTally()
        let (count, kind) = (self.count, self.kind)
        var after = before
        await withTaskGroup(of: Void.self) { group in
            await OpeningGate.launch(count: count, limit: connecting, in: &group) { _, slot in
                do {
                    try await connect { tally.open(); slot.release() }
                } catch {
                    tally.fail(error, opened: slot.isReleased)
                }
            }
            do {
                try await tally.waitForAll(count, timeout: .seconds(300), what: "connections")
                progress("connections: \(tally.opened) open; settling \(settleSeconds) s")
                try await Task.sleep(for: .seconds(settleSeconds))
                after = try Self.residentKilobytes(of: serverPid)
                progress("connections: server RSS \(after) kB; holding \(holdSeconds) s")
                try await Task.sleep(for: .seconds(holdSeconds))
            } catch {
                progress("connections: \(error)")
            }
            group.cancelAll()
        }

        var report = Report(scenario: "connections")
        report["kind"] = .string(kind.rawValue)
        report["count"] = .int(count)
        report["opened"] = .int(tally.opened)
        report["failed"] = .int(tally.failed)
        report["dropped"] = .int(tally.dropped)
        report["rss_before_kb"] = .int(before)
        report["rss_after_kb"] = .int(after)
        report["bytes_per_connection"] = .double(tally.opened > 0 ? Double(after - before) * 1024 / Double(tally.opened) : .nan)
        report.print()
    }

    /// `VmRSS` from `/proc/<pid>/status`, in kB.
    static func residentKilobytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let value = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) })
        else { throw ValidationError("no VmRSS in /proc/\(pid)/status") }
        return value
    }
}
