import Domain
import Foundation
import HTTPTypes
import Testing

/// Orders and notifications belong to one user (another's answers 404, as if it did not exist);
/// sending notifications and reading the event log need the `staff` role.
@Suite struct APIOwnershipTests {
    /// Creates an order as `customer` with a chosen id; returns its event id.
    static func createOrder(_ server: TestServer, id: String, by customer: String) async throws -> String {
        let body = #"{"order_id":"\#(id)","items":[{"sku":"tea","quantity":1,"unit_price_cents":450}],"currency":"EUR"}"#
        let reply = try await server.post("/v1/orders", as: customer, json: body)
        #expect(reply.status == .created, "\(reply.text)")
        #expect(reply.string("order_id") == id)
        return try #require(reply.string("event_id"))
    }

    /// Sends a notification to `user` as staff; returns (notification id, event id).
    static func notify(_ server: TestServer, _ user: String, content: String = "hello") async throws -> (String, String) {
        let reply = try await server.post(
            "/v1/notifications", as: "ops", staff: true,
            json: #"{"user_id":"\#(user)","kind":"announcement","content":"\#(content)"}"#
        )
        #expect(reply.status == .created, "\(reply.text)")
        return (try #require(reply.string("notification_id")), try #require(reply.string("event_id")))
    }

    // MARK: Orders

    @Test func anotherCustomersOrderIsNotFoundButStaffSeesIt() async throws {
        try await TestServer.run { server in
            let order = TestServer.uniqueID("order")
            let eventID = try await Self.createOrder(server, id: order, by: "carol")
            let own = try await server.read("/v1/orders/\(order)?min_event_id=\(eventID)", as: "carol")
            #expect(own.status == .ok, "\(own.text)")
            expectProblem(try await server.read("/v1/orders/\(order)?min_event_id=\(eventID)", as: "dave"), .notFound, "not_found")
            let staff = try await server.read("/v1/orders/\(order)?min_event_id=\(eventID)", as: "ops", staff: true)
            #expect(staff.status == .ok, "\(staff.text)")
            #expect(staff.string("customer_id") == "carol")
        }
    }

    @Test func aCustomerListsOnlyTheirOwnOrdersAndStaffListsAll() async throws {
        try await TestServer.run { server in
            let carols = [TestServer.uniqueID("order"), TestServer.uniqueID("order")]
            let daves = TestServer.uniqueID("order")
            for id in carols { _ = try await Self.createOrder(server, id: id, by: "carol") }
            let last = try await Self.createOrder(server, id: daves, by: "dave")

            func ids(_ user: String, staff: Bool = false) async throws -> [String] {
                let reply = try await server.read("/v1/orders?min_event_id=\(last)", as: user, staff: staff)
                #expect(reply.status == .ok, "\(reply.text)")
                return reply.array("orders").compactMap { $0[member: "order_id"]?.asString }
            }
            #expect(try await ids("carol") == carols)
            #expect(try await ids("dave") == [daves])
            #expect(try await ids("ops", staff: true) == carols + [daves])
        }
    }

    // MARK: Notifications

    @Test func onlyStaffCanSendNotifications() async throws {
        try await TestServer.run { server in
            let reply = try await server.post(
                "/v1/notifications", as: "mallory", json: #"{"user_id":"bob","kind":"announcement","content":"hi"}"#
            )
            expectProblem(reply, .forbidden, "forbidden")
            let (_, eventID) = try await Self.notify(server, "bob", content: "from staff")
            let sent = try await server.events(ofType: "notifications.notification_sent", through: eventID)
            #expect(sent.map { $0[member: "data"]?[member: "content"]?.asString } == ["from staff"])
        }
    }

    @Test func aSentNotificationReachesOnlyItsRecipient() async throws {
        try await TestServer.run { server in
            let (notificationID, eventID) = try await Self.notify(server, "bob", content: "maintenance tonight")
            let bobs = try await server.read("/v1/notifications?min_event_id=\(eventID)", as: "bob")
            #expect(bobs.status == .ok, "\(bobs.text)")
            let notifications = bobs.array("notifications")
            #expect(notifications.count == 1)
            let first = try #require(notifications.first)
            #expect(first[member: "notification_id"]?.asString == notificationID)
            #expect(first[member: "kind"]?.asString == "announcement")
            #expect(first[member: "content"]?.asString == "maintenance tonight")
            #expect(first[member: "read"]?.asBool == false)
            #expect(first[member: "event_id"]?.asString == eventID)
            #expect(first[member: "related_event_id"]?.isNull == true)
            let others = try await server.read("/v1/notifications?min_event_id=\(eventID)", as: "eve")
            #expect(others.status == .ok)
            #expect(others.array("notifications").isEmpty)
        }
    }

    @Test func markingSomeoneElsesNotificationReadIsNotFound() async throws {
        try await TestServer.run { server in
            let (notificationID, _) = try await Self.notify(server, "bob")
            expectProblem(try await server.post("/v1/notifications/\(notificationID)/read", as: "eve"), .notFound, "not_found")
            let bobs = try await server.post("/v1/notifications/\(notificationID)/read", as: "bob")
            #expect(bobs.status == .ok, "\(bobs.text)")
            let reads = try await server.events(ofType: "notifications.notification_read", through: bobs.string("event_id"))
            #expect(reads.map { $0[member: "data"]?[member: "user_id"]?.asString } == ["bob"])
        }
    }

    @Test func markingOwnNotificationReadIsRepeatableAndHidesItFromUnread() async throws {
        try await TestServer.run { server in
            let (notificationID, _) = try await Self.notify(server, "bob")
            let first = try await server.post("/v1/notifications/\(notificationID)/read", as: "bob")
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.string("notification_id") == notificationID)
            let readEventID = try #require(first.string("event_id"))
            let second = try await server.post("/v1/notifications/\(notificationID)/read", as: "bob")
            #expect(second.status == .ok, "\(second.text)")
            #expect(second.string("event_id") == readEventID)
            #expect(try await server.events(ofType: "notifications.notification_read", through: readEventID).count == 1)

            let unread = try await server.read("/v1/notifications?unread=true&min_event_id=\(readEventID)", as: "bob")
            #expect(unread.status == .ok, "\(unread.text)")
            #expect(unread.array("notifications").isEmpty)
            let all = try await server.read("/v1/notifications?min_event_id=\(readEventID)", as: "bob")
            #expect(all.array("notifications").map { $0[member: "read"]?.asBool } == [true])
        }
    }

    // MARK: The event log

    @Test func theEventLogIsForStaffOnly() async throws {
        try await TestServer.run { server in
            expectProblem(try await server.get("/v1/events", as: "alice"), .forbidden, "forbidden")
        }
    }

    @Test func theEventLogServesContractEnvelopes() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let posted = try await server.postMessage("hi", in: room, by: "alice", clientMsgID: "c-1")
            let last = try #require(posted.string("event_id"))
            let reply = try await server.read("/v1/events?after=0&limit=1000&min_event_id=\(last)", as: "ops", staff: true)
            #expect(reply.status == .ok, "\(reply.text)")
            let events = reply.array("events")
            #expect(events.map { $0[member: "type"]?.asString } == ["chat.room_created", "chat.member_joined", "chat.message_posted"])
            #expect(events.map { $0[member: "version"]?.asInt } == [1, 2, 3])
            let ids = events.compactMap { $0[member: "id"]?.asString.flatMap { Int64($0) } }
            #expect(ids.count == 3 && ids == ids.sorted() && Set(ids).count == 3, "ids must be increasing decimal strings")
            #expect(reply.string("next_after") == events.last?[member: "id"]?.asString)

            let message = try #require(events.last)
            #expect(message[member: "id"]?.asString == posted.string("event_id"))
            #expect(message[member: "stream"]?.asString == "room-\(room)")
            let occurredAt = try #require(message[member: "occurred_at"]?.asString)
            #expect(isRFC3339Milliseconds(occurredAt), "\(occurredAt)")
            let data = try #require(message[member: "data"])
            #expect(data[member: "room_id"]?.asString == room)
            #expect(data[member: "message_id"]?.asString == posted.string("message_id"))
            #expect(data[member: "author"]?.asString == "alice")
            #expect(data[member: "text"]?.asString == "hi")
            #expect(data[member: "client_msg_id"]?.asString == "c-1")
            let metadata = try #require(message[member: "metadata"])
            #expect(metadata[member: "actor"]?.asString == "alice")
            #expect(metadata[member: "command_id"]?.asString?.isEmpty == false)
            #expect(metadata[member: "correlation_id"]?.asString?.isEmpty == false)
            #expect(metadata[member: "causation_id"]?.isNull == true)

            let empty = try await server.get("/v1/events?after=\(ids.last ?? 0)", as: "ops", staff: true)
            #expect(empty.array("events").isEmpty)
            #expect(empty.string("next_after") == String(ids.last ?? 0))
        }
    }
}
