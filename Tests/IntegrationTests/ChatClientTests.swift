import AsyncHTTPClient
import EventStore
import Foundation
import Testing

/// `tideline-chat` end to end: real client processes against a real `tideline serve --dev`.
@Suite struct ChatClientTests {
    /// Two line-mode clients; the server restarts halfway while lines keep coming. Bob prints
    /// every line alice sent, once each and in order.
    @Test func lineModeDeliversEveryLineOnceAcrossAServerRestart() async throws {
        let database = try await TestDatabase.create()
        let port = try ServerProcess.freePort()
        var server = try ServerProcess.serve(database: database, port: port)
        let room = TestServer.uniqueID("chat")
        var clients: [ChatProcess] = []
        do {
            try await waitUntilReady(port: port)
            let bob = try ChatProcess(user: "bob", room: room, port: port, interactive: false)
            clients.append(bob)
            try await eventually(limit: .seconds(20), "bob in the room") { bob.stderr.contains("you are in #\(room)") }
            let alice = try ChatProcess(user: "alice", room: room, port: port, interactive: false)
            clients.append(alice)
            try await eventually(limit: .seconds(20), "alice in the room") { alice.stderr.contains("you are in #\(room)") }

            let expected = (1...24).map { "line \($0) from alice" }
            for line in expected[0..<8] {
                alice.send(line + "\n")
                try await Task.sleep(for: .milliseconds(50))
            }
            try await eventually(limit: .seconds(20), "the first lines at bob") { bob.messageLines.count >= 4 }

            // Restart: lines typed while it is down wait in alice's outbox.
            server.kill(SIGTERM)
            #expect(await server.waitForExit() == 0)
            for line in expected[8..<16] {
                alice.send(line + "\n")
                try await Task.sleep(for: .milliseconds(50))
            }
            server = try ServerProcess.serve(database: database, port: port)
            try await waitUntilReady(port: port)
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
        } catch {
            for client in clients { print("client stderr:", client.stderr) }
            for client in clients { await client.stop() }
            server.kill(SIGKILL)
            _ = await server.waitForExit()
            await TestDatabase.drop(database)
            throw error
        }
        for client in clients { await client.stop() }
        server.kill(SIGTERM)
        _ = await server.waitForExit()
        await TestDatabase.drop(database)
    }

    /// Two interactive clients in pseudo-terminals: alice types, bob's typing line names her;
    /// it clears when she pauses (the debounced `stopped`) and when her message arrives.
    @Test func interactiveTypingShowsAtTheOtherClientAndClears() async throws {
        let database = try await TestDatabase.create()
        let port = try ServerProcess.freePort()
        let server = try ServerProcess.serve(database: database, port: port)
        let room = TestServer.uniqueID("chat")
        var clients: [ChatProcess] = []
        do {
            try await waitUntilReady(port: port)
            let bob = try ChatProcess(user: "bob", room: room, port: port, interactive: true)
            clients.append(bob)
            let alice = try ChatProcess(user: "alice", room: room, port: port, interactive: true)
            clients.append(alice)
            for client in [bob, alice] {
                try await eventually(limit: .seconds(20), "a live connection") { client.footer.contains("connected · #\(room)") }
            }

            alice.send("hel")
            try await eventually(limit: .seconds(20), "bob sees alice typing") { bob.footer.contains("alice is typing…") }
            // Alice keeps the text she typed while the footer is redrawn.
            #expect(alice.footer.contains("> hel"))
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
        } catch {
            for client in clients { print("client output:", ChatProcess.stripANSI(client.stdout)) }
            for client in clients { await client.stop() }
            server.kill(SIGKILL)
            _ = await server.waitForExit()
            await TestDatabase.drop(database)
            throw error
        }
        for client in clients { await client.stop() }
        server.kill(SIGTERM)
        _ = await server.waitForExit()
        await TestDatabase.drop(database)
    }

    private func waitUntilReady(port: Int) async throws {
        try await eventually(limit: .seconds(30), "the server on port \(port) to be ready") {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready")
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 16)
            return response.status.code == 200
        }
    }
}
