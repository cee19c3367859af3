import API
import Domain
import EventStore
import Foundation
import Testing

/// Events this build cannot read (a type a newer build wrote, data that does not match its
/// type) follow one rule in every reader: logged and counted in
/// `tideline_undecodable_events_total`, skipped by the projector and the reactor, which go on
/// with what follows, and delivered live exactly as a replay delivers them.
@Suite struct UndecodableEventTests {
    @Test func undecodableEventsAreCountedSkippedByProjectionsAndDeliveredLiveAsOnReplay() async throws {
        try await ServerProcess.withServer { database, port, server in
            try await exercise(database: database, port: port, server: server)
        }
    }

    private func exercise(database: DatabaseURL, port: Int, server: ServerProcess) async throws {
        let tokens = await TokenService(secret: TestServer.secret)
        let alice = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
        let room = TestServer.uniqueID("room")
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: alice, json: #"{"room_id":"\#(room)"}"#).status == 201)
        // Live from here: the first message proves the stream is subscribed.
        var live = SSEReader(try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)", token: alice))
        let first = try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"before"}"#)
        #expect(first.status == 201)
        _ = try await live.read { $0.messageCount >= 1 }

        // Written behind the API's back: a type from the future, a message without its fields,
        // an order without its items.
        try await TestDatabase.withClient(database) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let metadata = #"{"actor":"alice","command_id":"raw","correlation_id":"raw","causation_id":null}"#
            try await store.append([
                NewEvent(type: "chat.reaction_added", data: #"{"room_id":"\#(room)","emoji":"+1"}"#, metadata: metadata),
                NewEvent(type: MessagePosted.eventType, data: #"{"room_id":"\#(room)","author":"alice"}"#, metadata: metadata),
            ], to: StreamName.room(room), expectedVersion: .any)
            try await store.append(
                [NewEvent(type: OrderCreated.eventType, data: #"{"order_id":"broken","customer_id":"alice"}"#, metadata: metadata)],
                to: StreamName.order("broken-\(room)"), expectedVersion: .noStream
            )
        }
        let after = try await ConcurrentClient.post(port: port, path: "/v1/rooms/\(room)/messages", token: alice, json: #"{"text":"after"}"#)
        #expect(after.status == 201)

        // Live: both unreadable events, then the next message.
        let liveEvents = try await live.read { $0.texts.contains("after") }.events
        let liveSeen = liveEvents.map { "\($0.id ?? "?") \($0.event ?? "?")" }
        #expect(liveEvents.map(\.event) == ["chat.reaction_added", "chat.message_posted", "chat.message_posted"])
        // Replay from the same point: the same events, the same ids.
        let since = try #require(first.body[member: "event_id"]?.asString)
        let replay = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=\(since)", token: alice)
        let replayed = try await SSEClient.read(replay) { $0.texts.contains("after") }.events
        #expect(replayed.map { "\($0.id ?? "?") \($0.event ?? "?")" } == liveSeen)

        // The read model moved past them: the later message is listed.
        try await eventually("the projector to list the message after the unreadable ones") {
            let page = try await ConcurrentClient.get(port: port, path: "/v1/rooms/\(room)/messages", token: alice)
            return (page.body[member: "messages"]?.asArray ?? []).contains { $0[member: "text"]?.asString == "after" }
        }
        // The reactor moved past the broken order: a real one is notified.
        let order = try await ConcurrentClient.post(
            port: port, path: "/v1/orders", token: alice,
            json: #"{"items":[{"sku":"tea","quantity":1,"unit_price_cents":200}],"currency":"EUR"}"#
        )
        #expect(order.status == 201)
        let orderEventID = try #require(order.body[member: "event_id"]?.asString)
        try await eventually("the reactor to notify the order after the broken one") {
            let reply = try await ConcurrentClient.get(port: port, path: "/v1/notifications", token: alice)
            return (reply.body[member: "notifications"]?.asArray ?? []).contains { $0[member: "related_event_id"]?.asString == orderEventID }
        }

        // Counted per reader and reason, and said in the log.
        let metrics = try await ConcurrentClient.text(port: port, path: "/metrics")
        for (reader, reason, count) in [
            ("read_model", "unknown_type", 1), ("read_model", "malformed_data", 2),
            ("live_feed", "unknown_type", 1), ("live_feed", "malformed_data", 2),
            ("order_notifications", "malformed_data", 1),
        ] {
            let line = #"tideline_undecodable_events_total{reader="\#(reader)",reason="\#(reason)"} \#(count)"#
            #expect(metrics.contains(line), "missing \(line) in:\n\(metrics)")
        }
        let output = server.readOutput()
        #expect(output.contains("read_model cannot decode an event: skipped"), "\(output)")
        #expect(output.contains("order_notifications cannot decode an event: no notification sent"), "\(output)")
        #expect(!output.contains("retrying"), "no reader retried an unreadable event: \(output)")
    }
}
