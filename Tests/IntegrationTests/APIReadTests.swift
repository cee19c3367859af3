import Domain
import Foundation
import HTTPTypes
import Testing

/// The query side (contract §4): message and room paging, orders as stored, and the
/// notification every order causes.
@Suite struct APIReadTests {
    /// Posts `count` messages `m1…` as alice into a new room; returns the room and the event ids.
    static func roomWithMessages(_ server: TestServer, count: Int) async throws -> (room: String, eventIDs: [String]) {
        let room = TestServer.uniqueID("room")
        try await server.createRoom(room, by: "alice")
        var eventIDs: [String] = []
        for n in 1...count {
            let reply = try await server.postMessage("m\(n)", in: room, by: "alice")
            #expect(reply.status == .created, "\(reply.text)")
            eventIDs.append(try #require(reply.string("event_id")))
        }
        return (room, eventIDs)
    }

    static func texts(_ reply: TestServer.Reply) -> [String] {
        reply.array("messages").compactMap { $0[member: "text"]?.asString }
    }

    // MARK: Messages

    @Test func messagePagesWalkBackFromTheNewestOldestFirst() async throws {
        try await TestServer.run { server in
            let (room, ids) = try await Self.roomWithMessages(server, count: 7)
            let path = "/v1/rooms/\(room)/messages"
            let newest = try await server.read("\(path)?limit=3&min_event_id=\(ids[6])", as: "alice")
            #expect(newest.status == .ok, "\(newest.text)")
            #expect(Self.texts(newest) == ["m5", "m6", "m7"])
            #expect(newest.array("messages").map { $0[member: "event_id"]?.asString } == [ids[4], ids[5], ids[6]])
            #expect(newest.string("next_before") == ids[4])

            let middle = try await server.get("\(path)?limit=3&before=\(ids[4])", as: "alice")
            #expect(Self.texts(middle) == ["m2", "m3", "m4"])
            #expect(middle.string("next_before") == ids[1])

            let oldest = try await server.get("\(path)?limit=3&before=\(ids[1])", as: "alice")
            #expect(Self.texts(oldest) == ["m1"])
            #expect(oldest["next_before"] == .null, "nothing older exists: \(oldest.text)")
        }
    }

    @Test func afterGivesTheFirstMessagesFollowingIt() async throws {
        try await TestServer.run { server in
            let (room, ids) = try await Self.roomWithMessages(server, count: 7)
            let reply = try await server.read("/v1/rooms/\(room)/messages?after=\(ids[1])&limit=3&min_event_id=\(ids[6])", as: "alice")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(Self.texts(reply) == ["m3", "m4", "m5"])
        }
    }

    @Test func withoutParametersTheNewestMessagesComeWithTheirFields() async throws {
        try await TestServer.run { server in
            let (room, ids) = try await Self.roomWithMessages(server, count: 3)
            let reply = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(ids[2])", as: "bob")
            #expect(Self.texts(reply) == ["m1", "m2", "m3"])
            #expect(reply["next_before"] == .null)
            let message = try #require(reply.array("messages").first)
            #expect(message[member: "message_id"]?.asString?.isEmpty == false)
            #expect(message[member: "event_id"]?.asString == ids[0])
            #expect(message[member: "author"]?.asString == "alice")
            let occurredAt = try #require(message[member: "occurred_at"]?.asString)
            #expect(isRFC3339Milliseconds(occurredAt), "\(occurredAt)")
        }
    }

    // MARK: Rooms

    @Test func roomsArePagedByRoomID() async throws {
        try await TestServer.run { server in
            let prefix = TestServer.uniqueID("page")
            let rooms = ["\(prefix)-c", "\(prefix)-a", "\(prefix)-e", "\(prefix)-b", "\(prefix)-d"]
            var last = ""
            for room in rooms { last = try #require(try await server.createRoom(room, by: "alice").string("event_id")) }

            let first = try await server.read("/v1/rooms?limit=2&min_event_id=\(last)", as: "bob")
            #expect(first.status == .ok, "\(first.text)")
            let firstIDs = first.array("rooms").compactMap { $0[member: "room_id"]?.asString }
            #expect(firstIDs == ["\(prefix)-a", "\(prefix)-b"])
            #expect(first.string("next_after") == "\(prefix)-b")

            var seen = firstIDs
            var after = first.string("next_after")
            var pages = 1
            while let cursor = after, pages < 10 {
                let page = try await server.get("/v1/rooms?limit=2&after=\(cursor)", as: "bob")
                #expect(page.status == .ok, "\(page.text)")
                seen += page.array("rooms").compactMap { $0[member: "room_id"]?.asString }
                after = page.string("next_after")
                pages += 1
            }
            #expect(after == nil, "the last page has next_after null")
            #expect(seen == rooms.sorted())
        }
    }

    @Test func memberCountFollowsJoinsAndLeaves() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            func listed(after eventID: String?) async throws -> JSONValue? {
                let reply = try await server.read("/v1/rooms?min_event_id=\(eventID ?? "0")", as: "alice")
                return reply.array("rooms").first { $0[member: "room_id"]?.asString == room }
            }
            let created = try await server.createRoom(room, by: "alice", visibility: "public")
            let listing = try #require(try await listed(after: created.string("event_id")))
            #expect(listing[member: "member_count"]?.asInt == 1)
            #expect(listing[member: "name"]?.asString?.isEmpty == false)
            #expect(listing[member: "visibility"]?.asString == "public")
            #expect(listing[member: "last_event_id"]?.asString != nil)

            let joined = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            #expect(try await listed(after: joined.string("event_id"))?[member: "member_count"]?.asInt == 2)
            let left = try await server.post("/v1/rooms/\(room)/leave", as: "bob")
            #expect(left.status == .ok, "\(left.text)")
            #expect(left.string("event_id") != joined.string("event_id"))
            #expect(try await listed(after: left.string("event_id"))?[member: "member_count"]?.asInt == 1)
        }
    }

    // MARK: Orders

    @Test func anOrderIsCreatedWithItsTotalAndReadBack() async throws {
        try await TestServer.run { server in
            let items = #"[{"sku":"espresso","quantity":2,"unit_price_cents":350},{"sku":"cake","quantity":1,"unit_price_cents":1299}]"#
            let created = try await server.post("/v1/orders", as: "carol", json: #"{"items":\#(items),"currency":"EUR"}"#)
            #expect(created.status == .created, "\(created.text)")
            #expect(created["total_cents"]?.asInt == 1999)
            let orderID = try #require(created.string("order_id"))
            let eventID = try #require(created.string("event_id"))

            let order = try await server.read("/v1/orders/\(orderID)?min_event_id=\(eventID)", as: "carol")
            #expect(order.status == .ok, "\(order.text)")
            #expect(order.string("order_id") == orderID)
            #expect(order.string("customer_id") == "carol")
            #expect(order["total_cents"]?.asInt == 1999)
            #expect(order.string("currency") == "EUR")
            #expect(order.string("event_id") == eventID)
            let expectedItems: JSONValue = [
                ["sku": "espresso", "quantity": 2, "unit_price_cents": 350],
                ["sku": "cake", "quantity": 1, "unit_price_cents": 1299],
            ]
            #expect(order["items"] == expectedItems)
            let occurredAt = try #require(order.string("occurred_at"))
            #expect(isRFC3339Milliseconds(occurredAt), "\(occurredAt)")
        }
    }

    @Test func anOrderCausesExactlyOneNotificationToItsCustomer() async throws {
        try await TestServer.run { server in
            let created = try await server.post(
                "/v1/orders", as: "carol", json: #"{"items":[{"sku":"tea","quantity":3,"unit_price_cents":200}],"currency":"GBP"}"#
            )
            #expect(created.status == .created, "\(created.text)")
            let orderEventID = try #require(created.string("event_id"))

            // The notification is an asynchronous reaction: ask until it is there.
            let notifications = try await eventually { () async throws -> [JSONValue]? in
                let reply = try await server.get("/v1/notifications", as: "carol")
                let list = reply.array("notifications").filter { $0[member: "kind"]?.asString == "order_created" }
                return list.isEmpty ? nil : list
            }
            let found = try #require(notifications, "no order_created notification appeared")
            #expect(found.count == 1)
            #expect(found.first?[member: "related_event_id"]?.asString == orderEventID)
            #expect(found.first?[member: "read"]?.asBool == false)

            let sent = try await server.events(ofType: "notifications.notification_sent", through: found.first?[member: "event_id"]?.asString)
            #expect(sent.count == 1)
            #expect(sent.first?[member: "stream"]?.asString == "notification-carol")
            #expect(sent.first?[member: "data"]?[member: "related_event_id"]?.asString == orderEventID)
            #expect(sent.first?[member: "metadata"]?[member: "causation_id"]?.asString == orderEventID)
            let others = try await server.get("/v1/notifications", as: "dave")
            #expect(others.array("notifications").isEmpty)
        }
    }

    @Test func ordersArePagedByEventID() async throws {
        try await TestServer.run { server in
            var ids: [String] = []
            var last = ""
            for _ in 1...3 {
                let id = TestServer.uniqueID("order")
                let reply = try await server.post(
                    "/v1/orders", as: "carol", json: #"{"order_id":"\#(id)","items":[{"sku":"tea","quantity":1,"unit_price_cents":1}],"currency":"EUR"}"#
                )
                ids.append(id)
                last = try #require(reply.string("event_id"), "\(reply.text)")
            }
            let first = try await server.read("/v1/orders?limit=2&min_event_id=\(last)", as: "carol")
            #expect(first.status == .ok, "\(first.text)")
            let firstOrders = first.array("orders")
            #expect(firstOrders.map { $0[member: "order_id"]?.asString } == [ids[0], ids[1]])
            let cursor = try #require(first.string("next_after"))
            #expect(cursor == firstOrders.last?[member: "event_id"]?.asString)
            let second = try await server.get("/v1/orders?limit=2&after=\(cursor)", as: "carol")
            #expect(second.array("orders").map { $0[member: "order_id"]?.asString } == [ids[2]])
        }
    }

    // MARK: Notifications and read-your-writes

    @Test func notificationsAreListedNewestFirst() async throws {
        try await TestServer.run { server in
            var last = ""
            for content in ["first", "second", "third"] {
                let reply = try await server.post(
                    "/v1/notifications", as: "ops", staff: true, json: #"{"user_id":"bob","kind":"news","content":"\#(content)"}"#
                )
                last = try #require(reply.string("event_id"), "\(reply.text)")
            }
            let reply = try await server.read("/v1/notifications?min_event_id=\(last)", as: "bob")
            #expect(reply.array("notifications").map { $0[member: "content"]?.asString } == ["third", "second", "first"])
            let occurredAt = try #require(reply.array("notifications").first?[member: "occurred_at"]?.asString)
            #expect(isRFC3339Milliseconds(occurredAt), "\(occurredAt)")
        }
    }

    @Test func waitingForAnEventThatDoesNotExistYetAnswers503WithRetryAfter() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/v1/rooms?min_event_id=999999999", as: "alice")
            expectProblem(reply, .serviceUnavailable, "unavailable")
            let retryAfter = try #require(reply.headers[.retryAfter], "503 must carry Retry-After")
            #expect((Int(retryAfter) ?? 0) > 0, "\(retryAfter)")
        }
    }

    @Test func aMinEventIDThatIsNotAnEventIDIsRejected() async throws {
        try await TestServer.run { server in
            expectValidation(try await server.get("/v1/rooms?min_event_id=abc", as: "alice"), field: "min_event_id")
        }
    }
}
