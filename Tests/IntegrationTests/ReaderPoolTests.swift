import Domain
import EventStore
import Foundation
import PostgresNIO
import Testing

/// Commands and the log readers have pools of their own: commands that take every connection of
/// theirs (here: all waiting on two rooms' locks) leave the projector and the reactor working.
/// With one shared pool this test fails: the readers wait for a connection until the lock goes.
@Suite struct ReaderPoolTests {
    /// Server connections of this test's database by pool (`application_name`).
    static func connections(_ applicationName: String, waitingOnLock: Bool = false, on url: DatabaseURL) async throws -> Int64 {
        try await TestDatabase.scalar(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = \(applicationName)
              AND (NOT \(waitingOnLock) OR wait_event = 'advisory')
            """,
            on: url
        )
    }

    /// Appends an order as another writer would (no doorbell: the readers' poll finds it).
    static func appendOrder(for customer: String, on url: DatabaseURL) async throws -> Int64 {
        let order = DomainEvent.orderCreated(OrderCreated(
            orderId: TestServer.uniqueID("o"), customerId: customer,
            items: [OrderItem(sku: "tea", quantity: 1, unitPriceCents: 250)], totalCents: 250, currency: "EUR"
        ))
        let data = String(decoding: try order.encodedData(), as: UTF8.self)
        return try await TestDatabase.withClient(url, maximumConnections: 1) { client in
            try await EventStore(client: DatabasePool(client), logger: TestDatabase.logger).append(
                [NewEvent(type: order.type, data: data, metadata: #"{"actor":"\#(customer)"}"#)],
                to: order.streamName, expectedVersion: .noStream
            ).lastPosition
        }
    }

    @Test func readersKeepFollowingTheLogWhileEveryCommandConnectionWaits() async throws {
        try await TestServer.run(configure: { $0.databasePoolSize = 2; $0.readerPoolSize = 3 }) { server in
            let url = server.database
            // A process sends one command per stream at a time: two rooms for the pool's two connections.
            let rooms = [TestServer.uniqueID("room"), TestServer.uniqueID("room")]
            for room in rooms { #expect(try await server.createRoom(room, by: "alice").status == .created) }
            let token = try await server.token("alice")
            let port = try #require(server.client.port)
            let logger = TestDatabase.logger

            try await TestDatabase.withConnection(url) { blocker in
                // Hold the rooms' stream locks (they take no transaction id, so they hold back no reader).
                try await blocker.query("BEGIN", logger: logger)
                for room in rooms {
                    try await blocker.query("SELECT pg_advisory_xact_lock(7401, hashtext(\(StreamName.room(room))))", logger: logger)
                }
                try await withThrowingTaskGroup(of: Void.self) { posts in
                    // Two commands per room on their own HTTP connections: one per room takes a pool
                    // connection and waits for the lock, the other waits behind it in the process.
                    for room in rooms {
                        posts.addTask {
                            try await ConcurrentClient.postMessages(2, port: port, room: room, token: token, writers: 2) { "waiting \($0)" }
                        }
                    }
                    do {
                        try await eventually("every command connection to wait for the room's lock") {
                            try await Self.connections("tideline", waitingOnLock: true, on: url) == 2
                        }
                        let position = try await Self.appendOrder(for: "frank", on: url)
                        try await eventually(limit: .seconds(20), "the projector and the reactor to pass the order") {
                            try await TestDatabase.scalar(
                                """
                                SELECT count(*) FROM checkpoints
                                WHERE name IN ('read_model', 'order_notifications') AND position >= \(position)
                                """,
                                on: url
                            ) == 2
                        }
                        #expect(try await TestDatabase.scalar("SELECT count(*) FROM orders", on: url) == 1)
                        #expect(try await TestDatabase.scalar(
                            "SELECT count(*) FROM events WHERE type = 'notifications.notification_sent' AND data->>'user_id' = 'frank'",
                            on: url
                        ) == 1)
                        #expect(try await Self.connections("tideline", on: url) == 2, "the command pool is at its size")
                        #expect(try await Self.connections("tideline-readers", on: url) <= 3)
                    } catch {
                        // Let the waiting commands finish, or the group would wait for them forever.
                        _ = try? await blocker.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    try await blocker.query("COMMIT", logger: logger)
                    try await posts.waitForAll()
                }
            }
        }
    }
}
