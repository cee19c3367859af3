import Domain
import Foundation
import Testing
import WSClient

/// Every kind of message the server sends reaches a client, over both transports: each v1 event
/// type, a typing signal, the replies to every frame, a revoked subscription, the SSE keep-alive.
///
/// Besides what it asserts, this test is what makes `scripts/check-wire-log` meaningful: the
/// check validates every frame and SSE message the tests received against `asyncapi.yaml`, and
/// demands that each kind was seen at least once, which only this test guarantees.
@Suite struct WireCoverageTests {
    static let eventTypes: Set<String> = [
        "chat.room_created", "chat.member_joined", "chat.member_left", "chat.message_posted",
        "orders.order_created", "notifications.notification_sent", "notifications.notification_read",
    ]

    @Test func everyKindOfServerMessageReachesAClientOverBothTransports() async throws {
        try await TestServer.run(configure: { $0.keepAliveInterval = .seconds(1) }) { server in
            let room = TestServer.uniqueID("room")
            let topics = "room:\(room),orders,notifications"
            try await server.createRoom(room, by: "alice", visibility: "private")
            #expect(try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#).status == .ok)
            try await server.postMessage("hello", in: room, by: "alice")
            let order = try await server.post(
                "/v1/orders", as: "alice", json: #"{"items":[{"sku":"tea","quantity":2,"unit_price_cents":350}],"currency":"EUR"}"#
            )
            #expect(order.status == .created, "\(order.text)")
            // The order's notification comes from the reactor: wait for it, then read it.
            let notification = try #require(try await eventually {
                try await server.get("/v1/notifications", as: "alice").array("notifications").first?[member: "notification_id"]?.asString
            })
            #expect(try await server.post("/v1/notifications/\(notification)/read", as: "alice").status == .ok)

            let port = try #require(server.client.port)
            let aliceStream = try await SSEClient.open(port: port, path: "/v1/stream?topics=\(topics)&since=0", token: try await server.token("alice"))
            let bobStream = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: try await server.token("bob"))
            var aliceSSE = SSEReader(aliceStream)
            var bobSSE = SSEReader(bobStream)
            // A keep-alive comes once a stream's replay is done: from then on it is live.
            var aliceSeen = Set<String>()
            let replayed = try await aliceSSE.read { $0.last?.event == ":" }
            aliceSeen.formUnion(replayed.compactMap(\.event))
            #expect(replayed.last?.data == ": keep-alive")
            _ = try await bobSSE.read { $0.last?.event == ":" }
            let aliceToken = try await server.token("alice")
            let bobToken = try await server.token("bob")

            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(bobToken)") { bobInbound, bob, _ in
                    var bobFrames = FrameReader(bobInbound)
                    try await bob.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"]}"#))
                    _ = try await bobFrames.until { $0.frameType == "caught_up" }

                    try await server.client.ws("/v1/ws?access_token=\(aliceToken)") { aliceInbound, alice, _ in
                        var aliceFrames = FrameReader(aliceInbound)
                        try await alice.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)","orders","notifications"],"since":"0"}"#))
                        let replay = try await aliceFrames.until { $0.frameType == "caught_up" }
                        var seen = Set(replay.compactMap { $0[member: "event"]?[member: "type"]?.asString })
                        // Who is online (alice and bob, through their streams and sockets) follows caught_up.
                        _ = try await aliceFrames.until { $0.frameType == "presence" }
                        try await bob.write(.text(#"{"type":"typing","room":"\#(room)","state":"started"}"#))
                        _ = try await aliceFrames.until { $0.frameType == "typing" }
                        // Bob leaves: his subscriptions to the private room end; alice sees him go.
                        #expect(try await server.post("/v1/rooms/\(room)/leave", as: "bob").status == .ok)
                        _ = try await aliceFrames.until { frame in
                            if let type = frame[member: "event"]?[member: "type"]?.asString { seen.insert(type) }
                            return seen.isSuperset(of: Self.eventTypes)
                        }
                        #expect(seen.isSuperset(of: Self.eventTypes), "over the WebSocket: \(seen.sorted())")
                        let left = try await aliceFrames.until { $0.frameType == "presence_diff" }.last
                        #expect(left?[member: "leaves"] == .array([.string("bob")]), "bob left the room: \(String(describing: left))")
                        try await alice.write(.text(#"{"type":"post","ref":"p","room":"\#(room)","text":"still here"}"#))
                        #expect(try await aliceFrames.until { $0.frameType == "ack" }.last?[member: "ref"]?.asString == "p")
                        try await alice.write(.text(#"{"type":"ping","ref":"g"}"#))
                        #expect(try await aliceFrames.until { $0.frameType == "pong" }.last?[member: "ref"]?.asString == "g")
                        try await alice.write(.text(#"{"type":"unsubscribe","ref":"u","topics":["orders"]}"#))
                        #expect(try await aliceFrames.until { $0.frameType == "unsubscribed" }.last?[member: "ref"]?.asString == "u")
                        // A frame of each kind of mistake gets an `error` with its code; the connection stays.
                        for (frame, code, message) in [
                            ("not json", "malformed_request", "a frame must be one JSON object"),
                            (#"{"type":"subscribe","ref":"v","topics":["weather"]}"#, "validation_failed",
                             #"unknown topic "weather": use room:<room_id>, orders or notifications"#),
                            (#"{"type":"post","ref":"n","room":"no-such-room","text":"hi"}"#, "not_found", "room no-such-room not found"),
                            (#"{"type":"auth","ref":"t","token":"not-a-token"}"#, "unauthorized", "the token is malformed, wrongly signed or expired"),
                        ] {
                            try await alice.write(.text(frame))
                            let error = try await aliceFrames.until { $0.frameType == "error" }.last
                            #expect(error?[member: "code"]?.asString == code, "\(frame): \(String(describing: error))")
                            #expect(error?[member: "message"]?.asString == message)
                        }
                        try await alice.close(.normalClosure, reason: nil)
                        try await readUntilClosed(aliceFrames)
                    }

                    let revoked = try await bobFrames.until { $0.frameType == "error" }.last
                    #expect(revoked?[member: "code"]?.asString == "forbidden")
                    #expect(revoked?[member: "ref"] == nil, "a revocation answers no frame")
                    try await bob.close(.normalClosure, reason: nil)
                    try await readUntilClosed(bobFrames)
                }
            }

            // Over SSE (each read ends with the response's 60 s deadline at the latest).
            _ = try await aliceSSE.read { messages in
                aliceSeen.formUnion(messages.suffix(1).compactMap(\.event))
                return aliceSeen.isSuperset(of: Self.eventTypes.union(["retry", "typing"]))
            }
            #expect(aliceSeen.isSuperset(of: Self.eventTypes.union(["retry", "typing"])), "over SSE: \(aliceSeen.sorted())")
            let bobMessages = try await bobSSE.read { $0.last?.event == ":" && $0.last?.data.hasPrefix(": subscription to") == true }
            #expect(bobMessages.last?.data == ": subscription to room:\(room) ended")
        }
    }
}
