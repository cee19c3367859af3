import API
import Domain
import Foundation
import PostgresNIO
import Testing

/// Subscribing as a client meets it (contract sections 5, 6 and 10): which topics a subscribe
/// grants, resuming from an id, and the races issue 21 found. A race is forced by a lock the
/// test holds in the server's own database, never by a sleep.
@Suite struct SubscribeRulesTests {
    static let order = #"{"items":[{"sku":"sku-1","quantity":1,"unit_price_cents":100}],"currency":"EUR"}"#

    /// Runs `body` while the test holds `streams` locked (a room's state cannot be read), then
    /// releases it. `whileLocked` gets a way to wait until the server waits for the lock.
    static func withStreamsLocked(
        _ server: TestServer, _ body: (_ untilTheServerWaits: () async throws -> Void) async throws -> Void
    ) async throws {
        try await TestDatabase.withConnection(server.database) { connection in
            try await connection.query("BEGIN", logger: TestDatabase.logger)
            try await connection.query("LOCK TABLE streams IN ACCESS EXCLUSIVE MODE", logger: TestDatabase.logger)
            do {
                try await body {
                    try await eventually(limit: .seconds(30), "the server to wait for the lock on streams") {
                        try await TestDatabase.scalar(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'streams'::regclass", on: server.database
                        ) > 0
                    }
                }
                try await connection.query("COMMIT", logger: TestDatabase.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: TestDatabase.logger)
                throw error
            }
        }
    }

    /// Issue 21, defect 4: staff's token is replaced by a customer's while a subscribe to a room
    /// and `orders` is being authorized (the room's read waits for a lock). The subscribe must
    /// not leave every customer's orders flowing to a connection that is no longer staff's.
    @Test func anAuthFrameThatLowersRightsDuringASubscribeLeavesNoStaffGrant() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let staff = try await server.token("alice", staff: true)
            let customer = try await server.token("alice")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(staff)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await Self.withStreamsLocked(server) { untilTheServerWaits in
                        try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)","orders"]}"#))
                        try await untilTheServerWaits()
                        try await outbound.write(.text(#"{"type":"auth","ref":"a","token":"\#(customer)"}"#))
                        let ack = try await frames.until { $0.frameType == "ack" }.last
                        #expect(ack?[member: "ref"]?.asString == "a")
                    }
                    let reply = try await frames.until { $0.frameType == "caught_up" || $0[member: "ref"]?.asString == "s" && $0.frameType == "error" }
                    #expect(try await server.post("/v1/orders", as: "carol", json: Self.order).status == .created)
                    #expect(try await server.postMessage("fence", in: room, by: "alice").status == .created)
                    let after = try await frames.until { $0.frameType == "event" && $0[member: "topic"]?.asString == "room:\(room)" }
                    #expect(!after.contains { $0[member: "topic"]?.asString == "orders" }, "subscribe: \(reply), then: \(after)")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    // MARK: Which topics a subscribe grants (contract section 10)

    @Test func aSubscribeGrantsWhatTheCallerMayReadAndRefusesOnlyTheRest() async throws {
        try await TestServer.run { server in
            let open = TestServer.uniqueID("open"), secret = TestServer.uniqueID("secret"), missing = TestServer.uniqueID("missing")
            try await server.createRoom(open, by: "ann")
            try await server.createRoom(secret, by: "ann", visibility: "private")
            let bob = try await server.token("bob")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(bob)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(open)","room:\#(secret)","room:\#(missing)"]}"#))
                    let reply = try #require(try await frames.until { $0[member: "ref"]?.asString == "s" }.last)
                    #expect(reply.frameType == "subscribed", "\(reply)")
                    #expect(reply.strings("topics") == ["room:\(open)"])
                    let refused = reply.objects("refused")
                    #expect(refused.compactMap { $0[member: "topic"]?.asString } == ["room:\(secret)", "room:\(missing)"])
                    #expect(refused.compactMap { $0[member: "code"]?.asString } == ["forbidden", "validation_failed"])
                    #expect(refused.allSatisfy { $0[member: "message"]?.asString?.isEmpty == false })
                    _ = try await frames.until { $0.frameType == "caught_up" }
                    #expect(try await server.postMessage("hello", in: open, by: "ann").status == .created)
                    let event = try await frames.until { $0.frameType == "event" }.last
                    #expect(event?[member: "topic"]?.asString == "room:\(open)")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    @Test func aSubscribeThatGrantsNothingIsOneErrorNamingItsTopics() async throws {
        try await TestServer.run { server in
            let secret = TestServer.uniqueID("secret"), missing = TestServer.uniqueID("missing")
            try await server.createRoom(secret, by: "ann", visibility: "private")
            let bob = try await server.token("bob")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(bob)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(secret)","room:\#(missing)"]}"#))
                    var answers = try await frames.until { $0[member: "ref"]?.asString == "s" }
                    let error = answers.last
                    // The error ended the subscribe: a ping now fences anything it might still send.
                    try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                    answers += try await frames.until { $0.frameType == "pong" }
                    #expect(error?.frameType == "error", "\(answers)")
                    #expect(error?[member: "code"]?.asString == "forbidden")
                    #expect(error?.strings("topics") == ["room:\(secret)", "room:\(missing)"])
                    #expect(!answers.contains { $0.frameType == "subscribed" || $0.frameType == "caught_up" }, "\(answers)")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    @Test func anErrorThatEndsASubscriptionNamesItsTopic() async throws {
        try await TestServer.run { server in
            let secret = TestServer.uniqueID("secret")
            try await server.createRoom(secret, by: "ann", visibility: "private")
            #expect(try await server.post("/v1/rooms/\(secret)/members", as: "ann", json: #"{"user":"bob"}"#).status == .ok)
            let bob = try await server.token("bob")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(bob)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(secret)"]}"#))
                    _ = try await frames.until { $0.frameType == "caught_up" }
                    #expect(try await server.post("/v1/rooms/\(secret)/leave", as: "bob").status == .ok)
                    let ended = try await frames.until { $0.frameType == "error" }.last
                    #expect(ended?[member: "code"]?.asString == "forbidden")
                    #expect(ended?[member: "ref"] == nil)
                    #expect(ended?.strings("topics") == ["room:\(secret)"])
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    // MARK: Resuming from an id (contract section 10)

    @Test func aSincePastTheNewestEventIsAValidationErrorOverWebSocketAndSSE() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let created = try await server.createRoom(room, by: "ann")
            let newest = try #require(created.string("event_id").flatMap { Int64($0) })
            let ann = try await server.token("ann")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(ann)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"],"since":"\#(newest + 1000)"}"#))
                    let error = try await frames.until { $0[member: "ref"]?.asString == "s" }.last
                    #expect(error?.frameType == "error", "\(String(describing: error))")
                    #expect(error?[member: "code"]?.asString == "validation_failed")
                    #expect(error?.strings("topics") == ["room:\(room)"])
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
            let port = try #require(server.client.port)
            let response = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=\(newest + 1000)", token: ann)
            #expect(response.status.code == 422)
            let lastEventID = try await SSEClient.open(
                port: port, path: "/v1/stream?topics=room:\(room)", token: ann, headers: [("Last-Event-ID", String(newest + 1000))]
            )
            #expect(lastEventID.status.code == 422)
        }
    }

    /// Issue 21, defect 2, end to end: the client resumes from an event this process has not
    /// published yet (an open transaction holds the log's safe head below it, as a lagging
    /// process would be). The subscribe waits without holding up the connection's other
    /// frames, then replays; no live event at or below `since` or `caught_up` follows. A process
    /// that does not get there in time answers `unavailable` (WebSocket) or 503 (SSE).
    /// In a cluster of its own: the frontier is cluster-wide, and the open transaction would
    /// hold back the readers of every other test.
    @Test func aResumeFromAnEventThisProcessHasNotSeenWaitsThenNeverRepeatsIt() async throws {
        try await PrivateCluster.with { database in
            try await TestServer.run(database: database, configure: { $0.readYourWritesTimeout = .seconds(60) }) { server in
                try await Self.resumeAheadOfTheProcessWaits(server)
            }
            try await TestServer.run(database: database, configure: { $0.readYourWritesTimeout = .milliseconds(300) }) { server in
                try await Self.resumeAheadOfTheProcessIsUnavailableAfterTheWait(server)
            }
        }
    }

    private static func resumeAheadOfTheProcessWaits(_ server: TestServer) async throws {
        let room = TestServer.uniqueID("room")
        try await server.createRoom(room, by: "ann")
        let ann = try await server.token("ann")
        try await withHangGuard {
            try await server.client.ws("/v1/ws?access_token=\(ann)") { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                let since = try await Self.withSafeHeadHeld(server) {
                    let posted = try await server.postMessage("seen elsewhere", in: room, by: "ann")
                    let since = try #require(posted.string("event_id"))
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"],"since":"\#(since)"}"#))
                    try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                    let before = try await frames.until { $0.frameType == "pong" }
                    #expect(!before.contains { $0[member: "ref"]?.asString == "s" }, "answered before the process saw \(since): \(before)")
                    return try #require(Int64(since))
                }
                let subscribed = try await frames.until { $0.frameType == "caught_up" || $0.frameType == "error" }
                let caughtUp = try #require(subscribed.last?[member: "event_id"]?.asString.flatMap { Int64($0) }, "\(subscribed)")
                #expect(caughtUp >= since)
                let next = try #require(try await server.postMessage("after", in: room, by: "ann").string("event_id").flatMap { Int64($0) })
                let live = try await frames.until { $0.frameType == "event" && $0[member: "event"]?[member: "id"]?.asString == String(next) }
                let ids = live.filter { $0.frameType == "event" }.compactMap { $0[member: "event"]?[member: "id"]?.asString.flatMap { Int64($0) } }
                #expect(ids == [next], "caught_up \(caughtUp), then \(live)")
                try await outbound.close(.normalClosure, reason: nil)
                try await readUntilClosed(frames)
            }
        }
    }

    private static func resumeAheadOfTheProcessIsUnavailableAfterTheWait(_ server: TestServer) async throws {
        let room = TestServer.uniqueID("room")
        try await server.createRoom(room, by: "ann")
        let ann = try await server.token("ann")
        let port = try #require(server.client.port)
        try await Self.withSafeHeadHeld(server) {
            let since = try #require(try await server.postMessage("seen elsewhere", in: room, by: "ann").string("event_id"))
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(ann)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["room:\#(room)"],"since":"\#(since)"}"#))
                    let error = try await frames.until { $0[member: "ref"]?.asString == "s" }.last
                    #expect(error?.frameType == "error", "\(String(describing: error))")
                    #expect(error?[member: "code"]?.asString == "unavailable")
                    #expect(error?[member: "retry_after"]?.asInt == 1)
                    #expect(error?.strings("topics") == ["room:\(room)"])
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
            let response = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=\(since)", token: ann)
            #expect(response.status.code == 503)
            #expect(response.headers.first(name: "Retry-After") == "1")
        }
    }

    /// Runs `body` while a transaction that holds a transaction id stays open: events committed
    /// meanwhile are not final for any reader, so this process's feed cannot publish them.
    static func withSafeHeadHeld<T: Sendable>(_ server: TestServer, _ body: () async throws -> T) async throws -> T {
        try await TestDatabase.withConnection(server.database) { connection in
            try await connection.query("BEGIN", logger: TestDatabase.logger)
            try await connection.query("SELECT pg_current_xact_id()", logger: TestDatabase.logger)
            do {
                let result = try await body()
                try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: TestDatabase.logger)
                throw error
            }
        }
    }
}

private extension JSONValue {
    /// The strings of an array member (empty when missing).
    func strings(_ key: String) -> [String] { objects(key).compactMap(\.asString) }

    /// The elements of an array member (empty when missing).
    func objects(_ key: String) -> [JSONValue] { self[member: key]?.asArray ?? [] }
}
