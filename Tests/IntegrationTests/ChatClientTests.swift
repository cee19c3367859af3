import AsyncHTTPClient
import Domain
import EventStore
import Foundation
import NIOCore
import Testing

/// `tideline-chat` end to end: real client processes against a real `tideline serve --dev`.
@Suite struct ChatClientTests {
    /// Two line-mode clients; the server restarts halfway while lines keep coming. Bob prints
    /// every line alice sent, once each and in order.
    @Test func lineModeDeliversEveryLineOnceAcrossAServerRestart() async throws {
        try await ChatScene.run { scene in
            let room = scene.room
            let bob = try scene.client("bob", interactive: false)
            try await eventually(limit: .seconds(20), "bob in the room") { bob.stderr.contains("you are in #\(room)") }
            let alice = try scene.client("alice", interactive: false)
            try await eventually(limit: .seconds(20), "alice in the room") { alice.stderr.contains("you are in #\(room)") }

            let expected = (1...24).map { "line \($0) from alice" }
            for line in expected[0..<8] {
                alice.send(line + "\n")
                try await Task.sleep(for: .milliseconds(50))
            }
            try await eventually(limit: .seconds(20), "the first lines at bob") { bob.messageLines.count >= 4 }

            // Restart: lines typed while it is down wait in alice's outbox.
            #expect(await scene.stopServer() == 0)
            for line in expected[8..<16] {
                alice.send(line + "\n")
                try await Task.sleep(for: .milliseconds(50))
            }
            try await scene.startServer()
            for line in expected[16...] {
                alice.send(line + "\n")
                try await Task.sleep(for: .milliseconds(50))
            }

            try await eventually(limit: .seconds(30), "all \(expected.count) lines at bob") { bob.messageLines.count >= expected.count }
            // Input ended: alice leaves once everything she sent is acknowledged.
            alice.closeInput()
            #expect(await alice.waitForExit() == 0)
            let texts = bob.messageLines.map { $0.replacingOccurrences(of: #"^\[\d\d:\d\d:\d\d\] "#, with: "", options: .regularExpression) }
            #expect(texts == expected.map { "alice: \($0)" })
            #expect(bob.stderr.contains("reconnected"))
        }
    }

    /// Two interactive clients in pseudo-terminals: each shows the other online (status bar,
    /// `/who`); alice types, bob's typing line names her; it clears when she pauses (the
    /// debounced `stopped`) and when her message arrives.
    @Test func interactiveTypingShowsAtTheOtherClientAndClears() async throws {
        try await ChatScene.run { scene in
            let room = scene.room
            let bob = try scene.client("bob", interactive: true)
            let alice = try scene.client("alice", interactive: true)
            for client in [bob, alice] {
                try await eventually(limit: .seconds(20), "a live connection") { client.footer.contains("connected · #\(room)") }
            }
            // Who is online: a count in the status bar, the names with /who.
            try await eventually(limit: .seconds(20), "both online") { alice.footer.contains("#\(room) · 2 online") }
            alice.send("/who\r")
            try await eventually(limit: .seconds(20), "/who lists them") {
                ChatProcess.stripANSI(alice.stdout).contains("online in #\(room): alice, bob")
            }

            alice.send("hel")
            try await eventually(limit: .seconds(20), "bob sees alice typing") { bob.footer.contains("alice is typing…") }
            // Alice keeps the text she typed while the footer is redrawn.
            try await eventually(limit: .seconds(20), "alice's input line keeps her text") { alice.footer.contains("> hel") }
            // She pauses: after the debounce she sends `stopped` and bob's line clears.
            try await eventually(limit: .seconds(20), "bob's typing line clears") {
                let footer = bob.footer
                return footer.contains("connected · #\(room)") && !footer.contains("is typing")
            }

            alice.send("lo")
            try await eventually(limit: .seconds(20), "alice typing again") { bob.footer.contains("alice is typing…") }
            alice.send("\r")
            try await eventually(limit: .seconds(20), "the message at bob, typing cleared") {
                let screen = ChatProcess.stripANSI(bob.stdout)
                return screen.contains("alice: hello") && !bob.footer.contains("is typing")
            }
            #expect(ChatProcess.stripANSI(alice.stdout).contains("▸alice: hello"))

            // Ctrl-D on an empty line quits cleanly.
            alice.send("\u{04}")
            #expect(await alice.waitForExit() == 0)
            bob.send("\u{03}")
            #expect(await bob.waitForExit() == 0)
        }
    }
}

/// A `tideline serve --dev` on a database and port of its own, one room name, and the chat
/// clients started against it. `run` stops them all and drops the database however the test
/// ends, and prints what the clients said when it failed.
final class ChatScene: @unchecked Sendable {
    let database: DatabaseURL
    let port: Int
    let room = TestServer.uniqueID("chat")
    private(set) var server: ServerProcess?
    private(set) var clients: [ChatProcess] = []
    private(set) var terminals: [TerminalChatProcess] = []

    private init(database: DatabaseURL, port: Int) {
        self.database = database
        self.port = port
    }

    static func run(_ body: (ChatScene) async throws -> Void) async throws {
        let scene = ChatScene(database: try await TestDatabase.create(), port: try ServerProcess.freePort())
        do {
            try await scene.startServer()
            try await body(scene)
        } catch {
            for client in scene.clients {
                print("client stderr:", client.stderr)
                print("client output:", ChatProcess.stripANSI(client.stdout))
            }
            for terminal in scene.terminals {
                print("client terminal:", terminal.screen)
            }
            await scene.tearDown(serverSignal: SIGKILL)
            throw error
        }
        await scene.tearDown(serverSignal: SIGTERM)
    }

    /// Starts the server (again, after ``stopServer()``) on the scene's port and waits until it is ready.
    func startServer() async throws {
        server = try ServerProcess.serve(database: database, port: port)
        try await ServerProcess.waitUntilReady(port: port)
    }

    /// Stops the server with SIGTERM and returns its exit status.
    func stopServer() async -> Int32? {
        guard let server else { return nil }
        self.server = nil
        server.kill(SIGTERM)
        return await server.waitForExit()
    }

    /// Starts `tideline-chat` for `user` in the scene's room.
    func client(_ user: String, interactive: Bool) throws -> ChatProcess {
        let client = try ChatProcess(user: user, room: room, port: port, interactive: interactive)
        clients.append(client)
        return client
    }

    /// Starts `tideline-chat` for `user` in the scene's room on a pseudo-terminal of the test's
    /// own, with `typedAhead` already typed at it before the process starts.
    func terminalClient(_ user: String, typedAhead: String) throws -> TerminalChatProcess {
        let client = try TerminalChatProcess(user: user, room: room, port: port, typedAhead: typedAhead)
        terminals.append(client)
        return client
    }

    /// The texts of the room's newest messages, oldest first, as any reader gets them over REST.
    func messageTexts() async throws -> [String] {
        var mint = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/auth/token")
        mint.method = .POST
        mint.headers.add(name: "Content-Type", value: "application/json")
        mint.body = .bytes(ByteBuffer(string: #"{"user":"reader"}"#))
        let minted = try await testHTTPClient.execute(mint, timeout: .seconds(30))
        let answer = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await minted.body.collect(upTo: 1 << 16)))
        let token = answer[member: "token"]?.asString ?? ""
        let page = try await ConcurrentClient.get(port: port, path: "/v1/rooms/\(room)/messages", token: token)
        return page.body[member: "messages"]?.asArray.compactMap { $0[member: "text"]?.asString } ?? []
    }

    private func tearDown(serverSignal: Int32) async {
        for client in clients { await client.stop() }
        for terminal in terminals { await terminal.stop() }
        if let server {
            server.kill(serverSignal)
            _ = await server.waitForExit()
        }
        await TestDatabase.drop(database)
    }
}
