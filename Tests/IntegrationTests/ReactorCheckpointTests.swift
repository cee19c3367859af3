import Domain
import EventStore
import Foundation
import HTTPTypes
import Testing

/// The order reactor reads only orders, yet its checkpoint follows the whole log: chat traffic
/// is read past once, not rescanned from the last order at every wake-up.
@Suite struct ReactorCheckpointTests {
    static func reactorCheckpoint(_ server: TestServer) async throws -> Int64 {
        try await TestDatabase.scalar(
            "SELECT coalesce(max(position), 0) FROM checkpoints WHERE name = 'order_notifications'", on: server.database
        )
    }

    @Test func theCheckpointPassesChatTrafficAndAnOrderStillGetsOneNotification() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            #expect(try await server.createRoom(room, by: "alice").status == .created)
            for n in 1...20 {
                #expect(try await server.postMessage("chat \(n)", in: room, by: "alice").status == .created)
            }
            let lastChat = try await TestDatabase.scalar("SELECT max(position) FROM events", on: server.database)
            try await eventually("the reactor checkpoint to reach the last chat event") {
                try await Self.reactorCheckpoint(server) >= lastChat
            }
            #expect(try await Self.reactorCheckpoint(server) == lastChat, "nothing but chat was written")

            let created = try await server.post(
                "/v1/orders", as: "erin", json: #"{"items":[{"sku":"tea","quantity":1,"unit_price_cents":250}],"currency":"EUR"}"#
            )
            #expect(created.status == .created, "\(created.text)")
            let orderEventID = try #require(created.string("event_id").flatMap { Int64($0) })
            try await eventually("the reactor checkpoint to pass the order and its notification") {
                try await Self.reactorCheckpoint(server) > orderEventID
            }
            let notifications = try await eventually { () async throws -> [JSONValue]? in
                let list = try await server.get("/v1/notifications", as: "erin").array("notifications")
                return list.isEmpty ? nil : list
            }
            #expect(notifications?.count == 1)
            #expect(notifications?.first?[member: "related_event_id"]?.asString == String(orderEventID))
            let sent = try await TestDatabase.scalar(
                "SELECT count(*) FROM events WHERE type = 'notifications.notification_sent'", on: server.database
            )
            #expect(sent == 1)
        }
    }
}
