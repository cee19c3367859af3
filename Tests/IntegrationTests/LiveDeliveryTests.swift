import Domain
import Foundation
import HummingbirdWSTesting
import Testing
import WSClient

/// Live delivery as clients see it: a real SSE stream and a real WebSocket against the server.
@Suite struct LiveDeliveryTests {
    @Test func sseReplaysFromSinceThenDeliversLiveWithNoGapAndNoDuplicate() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            for n in 1...3 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            let response = try await SSEClient.open(
                port: server.client.port!, path: "/v1/stream?topics=room:\(room)&since=0", token: try await server.token("alice")
            )
            #expect(response.status == .ok)
            #expect(response.headers["content-type"].first?.hasPrefix("text/event-stream") == true)
            // Posts keep arriving while the stream replays and goes live.
            async let posting: Void = {
                for n in 4...12 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            }()
            let messages = try await SSEClient.read(response) { $0.messageCount >= 12 }
            try await posting
            #expect(messages.first == SSEMessage(id: nil, event: "retry", data: "2000"))
            #expect(messages.texts == (1...12).map { "m\($0)" })
            let ids = messages.events.compactMap { $0.id.flatMap { Int64($0) } }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids increase, none repeats")
            let envelope = try #require(messages.events.last?.json)
            #expect(envelope[member: "id"]?.asString == messages.events.last?.id)
            #expect(envelope[member: "stream"]?.asString == "room-\(room)")
            #expect(envelope[member: "type"]?.asString == "chat.message_posted")
            #expect(envelope[member: "metadata"]?[member: "actor"]?.asString == "alice")
        }
    }

    @Test func sseResumesFromLastEventIDWithNothingLostOrRepeated() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let token = try await server.token("alice")
            let port = server.client.port!
            for n in 1...4 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            let first = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: token)
            let before = try await SSEClient.read(first) { $0.messageCount >= 2 }
            let lastSeen = try #require(before.events.last?.id)
            // Offline for a while: more is posted.
            for n in 5...8 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            let second = try await SSEClient.open(
                port: port, path: "/v1/stream?topics=room:\(room)", token: token, headers: [("Last-Event-ID", lastSeen)]
            )
            let after = try await SSEClient.read(second) { before.texts.count + $0.messageCount >= 8 }
            #expect(before.texts + after.texts == (1...8).map { "m\($0)" })
            #expect(after.events.allSatisfy { Int64($0.id!)! > Int64(lastSeen)! })
        }
    }

    @Test func sseRefusesUnknownAndForbiddenTopicsBeforeStreaming() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("secret")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let port = server.client.port!
            let unknown = try await SSEClient.open(port: port, path: "/v1/stream?topics=weather", token: try await server.token("bob"))
            #expect(unknown.status.code == 422)
            let forbidden = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)", token: try await server.token("bob"))
            #expect(forbidden.status.code == 403)
            let missing = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:nosuchroom", token: try await server.token("bob"))
            #expect(missing.status.code == 422)
        }
    }

    @Test func webSocketSubscribesReplaysCatchesUpAndDeliversLive() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let earlier = try await server.postMessage("earlier", in: room, by: "alice")
            let token = try await server.token("alice")
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"],"since":"0"}"#))
                let replay = try await frames.until { $0.frameType == "caught_up" }
                #expect(replay.first?.frameType == "subscribed")
                #expect(replay.first?[member: "ref"]?.asString == "1")
                let caughtUp = try #require(replay.last?[member: "event_id"]?.asString.flatMap { Int64($0) })
                // Whatever the server had published by then is replayed; the rest follows live
                // (under load the live feed may lag the store): together, each event once, in order.
                var history = replay.filter { $0.frameType == "event" }
                let replayedIDs = history.compactMap { $0[member: "event"]?[member: "id"]?.asString.flatMap { Int64($0) } }
                #expect(replayedIDs.allSatisfy { $0 <= caughtUp })
                while history.count < 3, let frame = try await frames.next() {
                    guard frame.frameType == "event" else { continue }
                    #expect(Int64(frame[member: "event"]![member: "id"]!.asString!)! > caughtUp)
                    history.append(frame)
                }
                #expect(history.compactMap { $0[member: "event"]?[member: "type"]?.asString }
                    == ["chat.room_created", "chat.member_joined", "chat.message_posted"])
                #expect(history.last?[member: "event"]?[member: "id"]?.asString == earlier.string("event_id"))

                // A message posted over REST arrives live with the full envelope.
                let posted = try await server.postMessage("live", in: room, by: "alice")
                let live = try await frames.until { $0.frameType == "event" }
                let envelope = try #require(live.last?[member: "event"])
                #expect(live.last?[member: "topic"]?.asString == "room:\(room)")
                #expect(envelope[member: "id"]?.asString == posted.string("event_id"))
                #expect(Int64(envelope[member: "id"]!.asString!)! > caughtUp)
                #expect(envelope[member: "data"]?[member: "text"]?.asString == "live")

                // Posting over the socket is acknowledged with the event id, then delivered.
                try await outbound.write(.text(#"{"type":"post","ref":"3","room":"\#(room)","text":"over ws","client_msg_id":"c-ws"}"#))
                let acked = try await frames.until { $0.frameType == "ack" }
                let ack = try #require(acked.last)
                #expect(ack[member: "ref"]?.asString == "3")
                #expect(ack[member: "message_id"]?.asString?.hasPrefix("m-") == true)
                try await outbound.write(.text(#"{"type":"ping","ref":"5"}"#))
                let pong = try await frames.until { $0.frameType == "pong" }
                #expect(pong.last?[member: "ref"]?.asString == "5")
                // Errors keep the connection open.
                try await outbound.write(.text("not json"))
                let error = try await frames.until { $0.frameType == "error" }
                #expect(error.last?[member: "code"]?.asString == "malformed_request")
                try await outbound.write(.text(#"{"type":"ping","ref":"6"}"#))
                #expect(try await frames.until { $0.frameType == "pong" }.last?[member: "ref"]?.asString == "6")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func typingReachesOtherMembersAndTheServerSaysStopped() async throws {
        try await TestServer.run { server in
            // Typing signals are ephemeral and travel only by NOTIFY: one sent before the server's
            // listener is connected is gone by design, so wait until the server says it is ready.
            try await eventually("the server is ready") { try await server.get("/ready", as: nil).status == .ok }
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            _ = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            let token = try await server.token("alice")
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }
                let typed = try await server.post("/v1/rooms/\(room)/typing", as: "bob", json: #"{"state":"started"}"#)
                #expect(typed.status == .noContent)
                let started = try await frames.until { $0.frameType == "typing" }.last
                #expect(started?[member: "user"]?.asString == "bob")
                #expect(started?[member: "state"]?.asString == "started")
                // Nobody says stopped: the server does, once the signal expires.
                let stopped = try await frames.until { $0.frameType == "typing" }.last
                #expect(stopped?[member: "user"]?.asString == "bob")
                #expect(stopped?[member: "state"]?.asString == "stopped")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func privateRoomsAndNotificationsReachOnlyTheirReaders() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("secret")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let token = try await server.token("bob")
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"]}"#))
                let refused = try await frames.until { $0.frameType == "error" }.last
                #expect(refused?[member: "code"]?.asString == "forbidden")
                try await outbound.write(.text(#"{"type":"subscribe","ref":"2","topics":["notifications"]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }
                // Carol's notification is not bob's business; bob's own arrives.
                _ = try await server.post("/v1/notifications", as: "ops", staff: true, json: #"{"user_id":"carol","kind":"hello","content":"for carol"}"#)
                _ = try await server.post("/v1/notifications", as: "ops", staff: true, json: #"{"user_id":"bob","kind":"hello","content":"for bob"}"#)
                let received = try await frames.until { $0.frameType == "event" }.last
                #expect(received?[member: "event"]?[member: "data"]?[member: "content"]?.asString == "for bob")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func aMemberWhoLeavesAPrivateRoomStopsReceivingIt() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("secret")
            try await server.createRoom(room, by: "alice", visibility: "private")
            _ = try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#)
            let token = try await server.token("bob")
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }
                #expect(try await server.post("/v1/rooms/\(room)/leave", as: "bob").status == .ok)
                // Bob sees his own departure, then is told the subscription ended.
                // (Under load, earlier events the live feed had not yet published may come first.)
                let departure = try await frames.until {
                    $0[member: "event"]?[member: "type"]?.asString == "chat.member_left" || $0.frameType == "error"
                }.last
                #expect(departure?[member: "event"]?[member: "data"]?[member: "user"]?.asString == "bob")
                let ended = try await frames.until { $0.frameType == "error" }.last
                #expect(ended?[member: "code"]?.asString == "forbidden")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    /// Bob leaves a private room while his subscription to it is being set up, many times over,
    /// with the leave and the subscribe racing: whichever wins, he is refused or sees his
    /// departure and the end of the subscription, and never a message posted after he left.
    /// A public room he follows throughout marks the end: events reach one connection in id
    /// order across topics, so a message posted before the marker would arrive before it.
    @Test func aMemberLeavingWhileSubscribingNeverKeepsTheRoom() async throws {
        try await TestServer.run { server in
            let lobby = TestServer.uniqueID("lobby")
            try await server.createRoom(lobby, by: "alice")
            let token = try await server.token("bob")
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"lobby","topics":["room:\#(lobby)"]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }
                for round in 1...25 {
                    let room = TestServer.uniqueID("secret")
                    try await server.createRoom(room, by: "alice", visibility: "private")
                    _ = try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            let left = try await ConcurrentClient.post(
                                port: server.client.port!, path: "/v1/rooms/\(room)/leave", token: token, json: "{}"
                            )
                            #expect(left.status == 200)
                        }
                        try await outbound.write(.text(#"{"type":"subscribe","ref":"\#(round)","topics":["room:\#(room)"]}"#))
                        try await group.waitForAll()
                    }
                    _ = try await server.postMessage("after \(round)", in: room, by: "alice")
                    _ = try await server.postMessage("marker \(round)", in: lobby, by: "alice")
                    var seen = try await frames.until {
                        $0[member: "event"]?[member: "data"]?[member: "text"]?.asString == "marker \(round)"
                    }
                    // A refused subscribe releases the events it held (the marker among them)
                    // before its error reply is written: a second marker comes after the reply.
                    _ = try await server.postMessage("second marker \(round)", in: lobby, by: "alice")
                    seen += try await frames.until {
                        $0[member: "event"]?[member: "data"]?[member: "text"]?.asString == "second marker \(round)"
                    }
                    let texts = seen.compactMap { $0[member: "event"]?[member: "data"]?[member: "text"]?.asString }
                    #expect(!texts.contains("after \(round)"), "round \(round): bob still received the room")
                    // Refused, or subscribed and then ended: either way an error ends the topic.
                    let ended = seen.contains { $0.frameType == "error" && $0[member: "code"]?.asString == "forbidden" }
                    #expect(ended, "round \(round): the subscription neither refused nor ended")
                }
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func aWebSocketHandshakeWithoutAValidTokenIsRefusedBeforeUpgrading() async throws {
        try await TestServer.run { server in
            await #expect(throws: (any Error).self) {
                try await server.client.ws("/v1/ws?access_token=not-a-token") { _, _, _ in
                    Issue.record("the handshake must not succeed")
                }
            }
        }
    }
}
