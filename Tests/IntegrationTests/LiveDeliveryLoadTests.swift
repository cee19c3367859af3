import Domain
import Foundation
import HummingbirdWSTesting
import PostgresNIO
import Testing
import WSClient

/// Live delivery under concurrency, interruption and slow readers.
@Suite struct LiveDeliveryLoadTests {
    @Test func aStaffSubscriberToFourRoomsGetsEveryMessageOfSixteenWritersOnceInOrder() async throws {
        try await TestServer.run { server in
            let rooms = (0..<4).map { _ in TestServer.uniqueID("room") }
            for room in rooms { try await server.createRoom(room, by: "owner") }
            let writers = 16
            let perWriter = 12
            let port = server.client.port!
            var tokens: [String] = []
            for writer in 0..<writers {
                let user = "writer-\(writer)"
                tokens.append(try await server.token(user))
                for room in rooms { _ = try await server.post("/v1/rooms/\(room)/join", as: user) }
            }
            let writerTokens = tokens
            let staff = try await server.token("ops", staff: true)
            try await server.client.ws("/v1/ws?access_token=\(staff)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                let topics = rooms.map { "\"room:\($0)\"" }.joined(separator: ",")
                try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":[\#(topics)]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }

                let posted = try await withThrowingTaskGroup(of: [String].self) { group in
                    for writer in 0..<writers {
                        let token = writerTokens[writer]
                        group.addTask {
                            var ids: [String] = []
                            for n in 0..<perWriter {
                                let room = rooms[(writer + n) % rooms.count]
                                let reply = try await ConcurrentClient.post(
                                    port: port, path: "/v1/rooms/\(room)/messages", token: token, json: #"{"text":"w\#(writer) n\#(n)"}"#
                                )
                                #expect(reply.status == 201)
                                if let id = reply.body[member: "event_id"]?.asString { ids.append(id) }
                            }
                            return ids
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                var received: [Int64] = []
                while received.count < posted.count, let frame = try await frames.next() {
                    guard frame.frameType == "event", frame[member: "event"]?[member: "type"]?.asString == "chat.message_posted" else { continue }
                    received.append(Int64(frame[member: "event"]![member: "id"]!.asString!)!)
                }
                #expect(posted.count == writers * perWriter)
                #expect(received == received.sorted(), "increasing id order")
                #expect(Set(received).count == received.count, "exactly once")
                #expect(Set(received) == Set(posted.compactMap { Int64($0) }), "every message")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func aClientCutOffTwentyTimesWhilePostsArriveEndsWithExactlyTheFullSet() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let port = server.client.port!
            let token = try await server.token("alice")
            let total = 2_000
            async let posting: Void = ConcurrentClient.postMessages(total, port: port, room: room, token: token) { "m\($0)" }
            var texts: [String] = []
            var lastID = "0"
            // Twenty cut-offs after a random number of messages, each followed by a resume.
            for _ in 0..<20 {
                let stream = try await SSEClient.open(
                    port: port, path: "/v1/stream?topics=room:\(room)", token: token, headers: [("Last-Event-ID", lastID)]
                )
                let wanted = texts.count + Int.random(in: 1...60)
                let part = try await SSEClient.read(stream) { texts.count + $0.messageCount >= min(wanted, total) }
                texts += part.texts
                lastID = part.events.last?.id ?? lastID
            }
            let rest = try await SSEClient.open(
                port: port, path: "/v1/stream?topics=room:\(room)", token: token, headers: [("Last-Event-ID", lastID)]
            )
            let remainder = try await SSEClient.read(rest) { texts.count + $0.messageCount >= total }
            texts += remainder.texts
            try await posting
            #expect(texts.count == total, "no duplicate")
            #expect(Set(texts) == Set((0..<total).map { "m\($0)" }), "no gap")
        }
    }

    /// A reader that stops reading is closed with 4008 once its queue is full, while a fast reader
    /// of the same topic receives everything; the slow one resumes by id and misses nothing.
    @Test func aSlowReaderIsClosedWith4008WhileAFastOneGetsEverything() async throws {
        let queueLimit = 600
        // The slow client answers no ping while it is not reading: under a loaded test run the
        // fast phase can outlast the default watchdog (2 × 20 s), which closes it with 1001.
        try await TestServer.run(configure: { $0.liveQueueLimit = queueLimit; $0.webSocketPingInterval = .seconds(600) }) { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let port = server.client.port!
            let token = try await server.token("alice")
            // Enough bytes to fill the slow reader's queue and every buffer between it and the server:
            // the server's socket send buffer alone grows to 4 MB on Linux (tcp_wmem), so 8 MB.
            let total = 2_000
            let padding = String(repeating: "x", count: 3_990)
            let subscribe = #"{"type":"subscribe","ref":"s","topics":["room:\#(room)"]}"#

            try await SlowWebSocketClient.connect(port: port, token: token) { slow in
                try await slow.send(subscribe)
                _ = try await slow.read { $0.frameType == "caught_up" }
                // From here on the slow client reads nothing until the fast one has everything.
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                    var fast = FrameReader(inbound)
                    try await outbound.write(.text(subscribe))
                    _ = try await fast.until { $0.frameType == "caught_up" }
                    async let posting: Void = ConcurrentClient.postMessages(total, port: port, room: room, token: token) { "m\($0) \(padding)" }
                    var fastTexts: [String] = []
                    while fastTexts.count < total, let frame = try await fast.next() {
                        if let text = frame.chatText { fastTexts.append(text) }
                    }
                    try await posting
                    #expect(fastTexts.count == total, "the fast reader got every message")
                    #expect(Set(fastTexts).count == total, "once each")
                    try await outbound.close(.normalClosure, reason: nil)
                }

                // Now read what the server had managed to send the slow client before giving up on it.
                // (Should it never be closed, it stops at the last message rather than waiting forever.)
                var seen = 0
                let backlog = try await slow.read { frame in
                    if frame.chatText != nil { seen += 1 }
                    return seen == total
                }
                #expect(backlog.closeCode == 4008, "closed as too slow")
                let slowEvents = backlog.frames.filter { $0.chatText != nil }
                #expect(slowEvents.count < total, "it did not get everything before the close")
                let lastID = slowEvents.last?[member: "event"]?[member: "id"]?.asString ?? "0"

                // It resumes from the last id it processed and ends with exactly the full set.
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"r","topics":["room:\#(room)"],"since":"\#(lastID)"}"#))
                    var texts = slowEvents.compactMap(\.chatText)
                    while texts.count < total, let frame = try await frames.next() {
                        if let text = frame.chatText { texts.append(text) }
                    }
                    #expect(texts.count == total, "no duplicate")
                    #expect(Set(texts) == Set((0..<total).map { "m\($0) \(padding)" }), "no gap")
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
        }
    }

    /// A long replay does not stop the connection from taking frames: a ping sent right after a
    /// subscribe with `since=0` is answered while the history is still streaming. (Frames read
    /// only after the replay would leave the server's pings unanswered: it drops a client that
    /// has not answered for 40 s, so a long enough replay could never finish.)
    @Test func aConnectionKeepsAnsweringWhileItReplaysALongHistory() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let history = 5_000
            // The history, stored directly: posting it would take most of the test's time.
            try await TestDatabase.bulkLoad(server.database) { connection in
                try await connection.query(
                    """
                    WITH head AS (SELECT version FROM streams WHERE stream_name = \("room-" + room))
                    INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
                    SELECT nextval('event_position_seq'), pg_current_xact_id(), 'room-' || \(room), head.version + g,
                           'chat.message_posted',
                           jsonb_build_object('room_id', \(room), 'message_id', 'm-' || g, 'author', 'alice',
                                              'text', 'old ' || g, 'client_msg_id', 'c-' || g),
                           jsonb_build_object('actor', 'alice', 'command_id', 'x-' || g, 'correlation_id', 'x-' || g, 'causation_id', NULL),
                           now()
                    FROM head, generate_series(1, \(history)) AS g ORDER BY g
                    """,
                    logger: TestDatabase.logger
                )
            }
            let token = try await server.token("alice")
            // Replay covers what the server's feed has read; wait until it has read the history
            // (a subscribe from an id the feed has not reached is `unavailable` after 2 s: ask again).
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    let subscribe = #"{"type":"subscribe","ref":"s","topics":["room:\#(room)"],"since":"\#(history)"}"#
                    try await outbound.write(.text(subscribe))
                    while let frame = try await frames.next(), frame.chatText != "old \(history)" {
                        if frame.frameType == "error", frame[member: "code"]?.asString == "unavailable" { try await outbound.write(.text(subscribe)) }
                    }
                    try await outbound.close(.normalClosure, reason: nil)
                }
            }
            try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"],"since":"0"}"#))
                try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                var replayedBeforePong = 0
                var sawPong = false
                var replayed = 0
                while let frame = try await frames.next() {
                    if frame.chatText != nil { replayed += 1 }
                    if frame.frameType == "pong" { sawPong = true; replayedBeforePong = replayed }
                    if frame.frameType == "caught_up" { break }
                }
                #expect(sawPong)
                #expect(replayedBeforePong < history, "answered during the replay, not after it")
                #expect(replayed == history, "and the replay is whole")
                try await outbound.close(.normalClosure, reason: nil)
            }
        }
    }

    @Test func killingTheListenConnectionLosesNothing() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let token = try await server.token("alice")
            let stream = try await SSEClient.open(port: server.client.port!, path: "/v1/stream?topics=room:\(room)", token: token)
            async let reading = SSEClient.read(stream) { $0.messageCount >= 20 }
            for n in 0..<10 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            // Kill the backend that LISTENs for this server's doorbell, mid-stream.
            _ = try await TestDatabase.withConnection(server.database) { connection in
                try await connection.query(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """,
                    logger: TestDatabase.logger
                )
            }
            for n in 10..<20 { _ = try await server.postMessage("m\(n)", in: room, by: "alice") }
            let texts = try await reading.texts
            #expect(texts == (0..<20).map { "m\($0)" })
            // The server is ready again once it has reconnected.
            let ready = try await eventually { () async throws -> Bool? in
                try await server.get("/ready", as: nil).status == .ok ? true : nil
            }
            #expect(ready == true)
        }
    }
}

extension JSONValue {
    /// The text of a WebSocket `event` frame carrying a chat message; nil for any other frame.
    var chatText: String? {
        guard frameType == "event", self[member: "event"]?[member: "type"]?.asString == "chat.message_posted" else { return nil }
        return self[member: "event"]?[member: "data"]?[member: "text"]?.asString
    }
}
