import API
import Domain
import Foundation
import Testing

/// Contract section 10's REST additions, as a client reads them (issue 26).
@Suite struct ContractAdditionsTests {
    @Test func roomEntriesSayWhetherTheCallerIsAMember() async throws {
        try await TestServer.run { server in
            let joined = TestServer.uniqueID("joined"), onlyRead = TestServer.uniqueID("read"), secret = TestServer.uniqueID("secret")
            try await server.createRoom(joined, by: "ann")
            try await server.createRoom(onlyRead, by: "ann")
            try await server.createRoom(secret, by: "ann", visibility: "private")
            #expect(try await server.post("/v1/rooms/\(joined)/join", as: "bob").status == .ok)
            let added = try await server.post("/v1/rooms/\(secret)/members", as: "ann", json: #"{"user":"bob"}"#)
            let newest = try #require(added.string("event_id"))
            let page = try await server.get("/v1/rooms?limit=500&min_event_id=\(newest)", as: "bob")
            #expect(page.status == .ok)
            let member = Dictionary(uniqueKeysWithValues: page.array("rooms").compactMap { room in
                room[member: "room_id"]?.asString.map { ($0, room[member: "member"]?.asBool) }
            })
            #expect(member[joined] == true)
            #expect(member[onlyRead] == false)
            #expect(member[secret] == true)
        }
    }

    @Test func aMessagePageCarriesTheRoomsNewestEventIDEvenWhenEmpty() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            let created = try await server.createRoom(room, by: "ann")
            let joinedAt = try #require(created.string("event_id"))
            let empty = try await server.get("/v1/rooms/\(room)/messages?min_event_id=\(joinedAt)", as: "ann")
            #expect(empty.status == .ok)
            #expect(empty.array("messages").isEmpty)
            #expect(empty["last_event_id"]?.asString == joinedAt)

            let posted = try #require(try await server.postMessage("hello", in: room, by: "ann").string("event_id"))
            let page = try await server.get("/v1/rooms/\(room)/messages?min_event_id=\(posted)", as: "ann")
            #expect(page["last_event_id"]?.asString == posted)
            // An older page still names the room's newest event: the resume point is the room's.
            let older = try await server.get("/v1/rooms/\(room)/messages?before=\(posted)", as: "ann")
            #expect(older["last_event_id"]?.asString == posted)
        }
    }

    @Test func ordersPageNewestFirstWithBefore() async throws {
        try await TestServer.run { server in
            let customer = TestServer.uniqueID("cus")
            var ids: [String] = []
            for _ in 1...5 {
                let reply = try await server.post("/v1/orders", as: customer, json: SubscribeRulesTests.order)
                #expect(reply.status == .created)
                ids.append(try #require(reply.string("event_id")))
            }
            // Another customer's order is not in this customer's pages.
            #expect(try await server.post("/v1/orders", as: "someone-else", json: SubscribeRulesTests.order).status == .created)
            func page(_ query: String) async throws -> TestServer.Reply {
                try await server.get("/v1/orders?\(query)&min_event_id=\(ids[4])", as: customer)
            }
            let newest = try await page("before=&limit=2")
            #expect(newest.status == .ok)
            #expect(newest.array("orders").compactMap { $0[member: "event_id"]?.asString } == [ids[4], ids[3]])
            #expect(newest["next_before"]?.asString == ids[3])
            #expect(newest["next_after"] == nil)
            let older = try await page("before=\(ids[3])&limit=2")
            #expect(older.array("orders").compactMap { $0[member: "event_id"]?.asString } == [ids[2], ids[1]])
            let oldest = try await page("before=\(ids[1])&limit=2")
            #expect(oldest.array("orders").compactMap { $0[member: "event_id"]?.asString } == [ids[0]])
            #expect(oldest["next_before"]?.isNull == true)
            // `after` keeps its meaning; both at once is a client error.
            let first = try await page("after=0&limit=2")
            #expect(first.array("orders").compactMap { $0[member: "event_id"]?.asString } == [ids[0], ids[1]])
            #expect(first["next_after"]?.asString == ids[1])
            expectValidation(try await page("before=&after=0"), field: "before")
            expectValidation(try await page("before=x"), field: "before")
        }
    }

    @Test func theNotificationListCountsEveryUnreadNotification() async throws {
        try await TestServer.run { server in
            let user = TestServer.uniqueID("reader")
            var last = ""
            for n in 1...3 {
                let sent = try await server.post(
                    "/v1/notifications", as: "ops", staff: true, json: #"{"user_id":"\#(user)","kind":"announcement","content":"n\#(n)"}"#
                )
                #expect(sent.status == .created)
                last = try #require(sent.string("event_id"))
            }
            let all = try await server.get("/v1/notifications?min_event_id=\(last)", as: user)
            #expect(all["unread_count"]?.asInt == 3)
            let first = try #require(all.array("notifications").last?[member: "notification_id"]?.asString)
            let read = try await server.post("/v1/notifications/\(first)/read", as: user)
            let readAt = try #require(read.string("event_id"))
            let unread = try await server.get("/v1/notifications?unread=true&min_event_id=\(readAt)", as: user)
            #expect(unread.array("notifications").count == 2)
            #expect(unread["unread_count"]?.asInt == 2)
            #expect(try await server.get("/v1/notifications?min_event_id=\(readAt)", as: user)["unread_count"]?.asInt == 2)
        }
    }

    /// A message posted without `client_msg_id` answers null there (its event says the server
    /// generated the stored id); one posted with it answers it.
    @Test func messageEntriesCarryTheClientsOwnIDOrNull() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "ann")
            let given = try await server.postMessage("mine", in: room, by: "ann", clientMsgID: "c-42")
            let generated = try await server.post("/v1/rooms/\(room)/messages", as: "ann", json: #"{"text":"no id"}"#)
            let last = try #require(generated.string("event_id"))
            let page = try await server.get("/v1/rooms/\(room)/messages?min_event_id=\(last)", as: "ann")
            let entries = page.array("messages")
            #expect(entries.count == 2)
            #expect(entries.first?[member: "event_id"]?.asString == given.string("event_id"))
            #expect(entries.first?[member: "client_msg_id"]?.asString == "c-42")
            #expect(entries.last?[member: "client_msg_id"]?.isNull == true, "\(page.text)")
            // The event says so; a client's own id carries no flag.
            let events = try await server.allEvents(through: last).filter { $0[member: "type"]?.asString == "chat.message_posted" }
            #expect(events.map { $0[member: "data"]?[member: "client_msg_id_generated"]?.asBool } == [nil, true])
        }
    }

    /// An order's notification carries `data` (the event and the list alike); one stored before
    /// notifications had it (simulated: its stored data removed) answers the same from its order.
    @Test func anOrdersNotificationCarriesItsDataOldOnesToo() async throws {
        try await TestServer.run { server in
            let customer = TestServer.uniqueID("cus")
            let order = try await server.post("/v1/orders", as: customer, json: SubscribeRulesTests.order)
            let orderID = try #require(order.string("order_id"))
            let expected: JSONValue = .object(["order_id": .string(orderID), "total_cents": .int(100), "currency": .string("EUR")])
            var entry: JSONValue?
            try await eventually("the order's notification") {
                entry = try await server.get("/v1/notifications", as: customer).array("notifications").first
                return entry != nil
            }
            #expect(entry?[member: "data"] == expected)
            let sentAt = try #require(entry?[member: "event_id"]?.asString)
            let event = try await server.allEvents(through: sentAt).first { $0[member: "type"]?.asString == "notifications.notification_sent" }
            #expect(event?[member: "data"]?[member: "data"] == expected)

            _ = try await TestDatabase.scalar("WITH u AS (UPDATE notifications SET data = NULL RETURNING 1) SELECT count(*) FROM u", on: server.database)
            let older = try await server.get("/v1/notifications", as: customer).array("notifications").first
            #expect(older?[member: "data"] == expected)
            // A staff-sent notification has nothing structured to say.
            let sent = try await server.post("/v1/notifications", as: "ops", staff: true, json: #"{"user_id":"\#(customer)","kind":"announcement","content":"hi"}"#)
            let sentID = try #require(sent.string("event_id"))
            let newest = try await server.get("/v1/notifications?min_event_id=\(sentID)", as: customer).array("notifications").first
            #expect(newest?[member: "data"]?.isNull == true)
        }
    }
}
