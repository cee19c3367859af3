import API
import Domain
import EventStore
import Foundation
import Testing

/// Commands on one stream from two server processes. Each process decides on its own copy of
/// the stream, which the other process makes stale: what a client sees must be as if there were
/// one process (no refusal decided on a stale copy, no lost or doubled command).
@Suite struct CommandConcurrencyTests {
    @Test func commandsOnAStreamAnotherProcessWroteAreDecidedOnWhatItWrote() async throws {
        try await withTwoServers { a, b, tokens in
            let room = TestServer.uniqueID("room")
            let alice = try await tokens.token("alice"), bob = try await tokens.token("bob")
            #expect(try await ConcurrentClient.post(port: a, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
            #expect(try await ConcurrentClient.post(port: b, path: "/v1/rooms/\(room)/join", token: bob, json: "{}").status == 200)
            // A last saw the room before bob joined on B.
            let post = { (port: Int, token: String, text: String) in
                try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: token, json: #"{"text":"\#(text)"}"#)
            }
            let bobsFirst = try await post(a, bob, "bob via A")
            #expect(bobsFirst.status == 201, "refused on a stale copy: \(bobsFirst.body)")
            var texts = ["bob via A"]
            for n in 0..<10 {
                let text = "alice \(n)"
                #expect(try await post(n.isMultiple(of: 2) ? a : b, alice, text).status == 201)
                texts.append(text)
            }
            // Bob leaves on B; A still has him as a member.
            #expect(try await ConcurrentClient.post(port: b, path: "/v1/rooms/\(room)/leave", token: bob, json: "{}").status == 200)
            let afterLeaving = try await post(a, bob, "bob after leaving")
            #expect(afterLeaving.status == 403, "accepted on a stale copy: \(afterLeaving.body)")
            // Joining on A, which believed him a member: a real join, not "already a member".
            let rejoin = try await ConcurrentClient.post(port: a, path: "/v1/rooms/\(room)/join", token: bob, json: "{}")
            #expect(rejoin.status == 200)
            #expect(try await post(b, bob, "bob again").status == 201)
            texts.append("bob again")

            let messages = try await readMessages(port: b, room: room, token: alice, atLeast: texts.count)
            #expect(messages.map(\.text) == texts)
            let events = try await roomEvents(room, port: a, token: try await tokens.token("auditor", staff: true))
            #expect(events.map(\.version) == Array(1...Int64(events.count)), "versions are gap-free")
            #expect(events.filter { $0.type == "chat.member_joined" }.count == 3, "creator, bob, bob again")
        }
    }

    @Test func concurrentWritersInTwoProcessesAllSucceedOnce() async throws {
        try await withTwoServers { a, b, tokens in
            let room = TestServer.uniqueID("room")
            let alice = try await tokens.token("alice")
            #expect(try await ConcurrentClient.post(port: a, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
            // Every post contends with the other process's posts on the same stream.
            async let viaA: Void = ConcurrentClient.postMessages(40, port: a, room: room, token: alice, writers: 4) { "a\($0)" }
            async let viaB: Void = ConcurrentClient.postMessages(40, port: b, room: room, token: alice, writers: 4) { "b\($0)" }
            _ = try await (viaA, viaB)
            let texts = try await readMessages(port: a, room: room, token: alice, atLeast: 80).map(\.text)
            #expect(Set(texts) == Set((0..<40).map { "a\($0)" } + (0..<40).map { "b\($0)" }))
            #expect(texts.count == 80)
        }
    }

    @Test func aRetriedCommandSentToBothProcessesAtOnceIsDoneOnceAndAnsweredAlike() async throws {
        try await withTwoServers { a, b, tokens in
            let room = TestServer.uniqueID("room")
            let alice = try await tokens.token("alice")
            #expect(try await ConcurrentClient.post(port: a, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
            let key = TestServer.uniqueID("key")
            // The same Idempotency-Key, and the same client_msg_id, eight times each across both processes.
            let replies = try await withThrowingTaskGroup(of: (status: Int, body: JSONValue).self) { group in
                for n in 0..<16 {
                    let json = n < 8 ? #"{"text":"keyed"}"# : #"{"text":"by client id","client_msg_id":"\#(key)"}"#
                    let headers = n < 8 ? [("Idempotency-Key", key)] : []
                    group.addTask {
                        try await ConcurrentClient.post(
                            port: n.isMultiple(of: 2) ? a : b, path: "/v1/rooms/\(room)/messages", token: alice, json: json, headers: headers
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.status == 201 }, "\(replies)")
            // One answer per command, repeated to every retry: two distinct messages in all.
            let answers = Set(replies.compactMap { reply in
                reply.body[member: "message_id"]?.asString.map { "\($0) \(reply.body[member: "event_id"]?.asString ?? "")" }
            })
            #expect(answers.count == 2, "\(replies.map(\.body))")
            let messages = try await readMessages(port: a, room: room, token: alice, atLeast: 2)
            #expect(messages.map(\.text).sorted() == ["by client id", "keyed"])
        }
    }

    // MARK: Support

    /// Two `tideline serve --dev` processes on one fresh database, both ready; `body` gets their
    /// ports and the token signer.
    private func withTwoServers(_ body: (_ a: Int, _ b: Int, _ tokens: TokenService) async throws -> Void) async throws {
        try await ServerProcess.withTwoServers { _, portA, portB in
            try await ServerProcess.waitUntilReady(port: portA)
            try await ServerProcess.waitUntilReady(port: portB)
            try await body(portA, portB, await TokenService(secret: TestServer.secret))
        }
    }

    private func readMessages(port: Int, room: String, token: String, atLeast count: Int) async throws -> [(eventID: String, text: String)] {
        var messages: [(eventID: String, text: String)] = []
        try await eventually("\(count) messages in the read model") {
            let reply = try await ConcurrentClient.get(port: port, path: "/v1/rooms/\(room)/messages?limit=200", token: token)
            messages = reply.body[member: "messages"]?.asArray.compactMap { message in
                guard let id = message[member: "event_id"]?.asString, let text = message[member: "text"]?.asString else { return nil }
                return (id, text)
            } ?? []
            return messages.count >= count
        }
        return messages
    }

    private func roomEvents(_ room: String, port: Int, token: String) async throws -> [(type: String, version: Int64)] {
        let reply = try await ConcurrentClient.get(port: port, path: "/v1/events?after=0&limit=1000", token: token)
        return reply.body[member: "events"]?.asArray.compactMap { event in
            guard event[member: "stream"]?.asString == "room-\(room)", let type = event[member: "type"]?.asString,
                  let version = event[member: "version"]?.asInt else { return nil }
            return (type, version)
        } ?? []
    }
}

extension TokenService {
    /// A ten-minute token for `user`.
    fileprivate func token(_ user: String, staff: Bool = false) async throws -> String {
        try await sign(user: user, roles: staff ? ["staff"] : [], expiresAt: Date().addingTimeInterval(600))
    }
}
