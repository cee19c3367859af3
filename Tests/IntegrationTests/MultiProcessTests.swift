import API
import Domain
import EventStore
import Foundation
import Testing

/// Several `tideline serve` processes on one database: every subscriber sees every event and
/// typing signal, whichever process accepted the command.
@Suite struct MultiProcessTests {
    @Test func eventsAndTypingCrossFromOneServerProcessToAnother() async throws {
        try await ServerProcess.withTwoServers { database, portA, portB in
            try await exchange(database: database, portA: portA, portB: portB)
        }
    }

    private func exchange(database: DatabaseURL, portA: Int, portB: Int) async throws {
        let tokens = await TokenService(secret: TestServer.secret)
        let alice = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
        let bob = try await tokens.sign(user: "bob", roles: [], expiresAt: Date().addingTimeInterval(600))
        try await ServerProcess.waitUntilReady(port: portA)
        try await ServerProcess.waitUntilReady(port: portB)
        let room = TestServer.uniqueID("room")
        #expect(try await ConcurrentClient.post(port: portA, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
        #expect(try await ConcurrentClient.post(port: portA, path: "/v1/rooms/\(room)/join", token: bob, json: "{}").status == 200)

        // Bob listens on B; alice writes and types on A.
        var stream = SSEReader(try await SSEClient.open(port: portB, path: "/v1/stream?topics=room:\(room)", token: bob))
        #expect(try await ConcurrentClient.post(port: portA, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"m0"}"#).status == 201)
        var texts = try await stream.read { $0.messageCount >= 1 }.texts
        // Bob's subscription is live now (it received m0), so the ephemeral signal must reach it.
        _ = try await ConcurrentClient.post(port: portA, path: "/v1/rooms/\(room)/typing", token: alice, json: #"{"state":"started"}"#)
        let typing = try await stream.read { $0.contains { $0.event == "typing" } }.last?.json
        #expect(typing?[member: "user"]?.asString == "alice")
        #expect(typing?[member: "state"]?.asString == "started")
        for n in 1..<10 {
            #expect(try await ConcurrentClient.post(port: portA, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"m\#(n)"}"#).status == 201)
        }
        texts += try await stream.read { texts.count + $0.messageCount >= 10 }.texts
        #expect(texts == (0..<10).map { "m\($0)" })
    }
}
