import Domain
import Foundation
import Testing

@Suite struct EventCodingTests {
    static let samples: [DomainEvent] = [
        .roomCreated(RoomCreated(roomId: "general", name: "General", visibility: .private, createdBy: "alice")),
        .memberJoined(MemberJoined(roomId: "general", user: "bob", addedBy: "alice")),
        .memberLeft(MemberLeft(roomId: "general", user: "bob")),
        .messagePosted(
            MessagePosted(roomId: "general", messageId: "m-1", author: "alice", text: "hi 👋 a/b \"q\"", clientMsgId: "c-1")),
        .orderCreated(
            OrderCreated(
                orderId: "o-1", customerId: "carol",
                items: [OrderItem(sku: "apple", quantity: 3, unitPriceCents: 125)], totalCents: 375, currency: "EUR")),
        .notificationSent(
            NotificationSent(notificationId: "n-1", userId: "carol", kind: "order_created", content: "c", relatedEventId: "42")),
        .notificationSent(
            NotificationSent(notificationId: "n-2", userId: "carol", kind: "announcement", content: "c", relatedEventId: nil)),
        .notificationRead(NotificationRead(notificationId: "n-1", userId: "carol")),
    ]

    @Test(arguments: samples)
    func roundTrips(_ event: DomainEvent) throws {
        let data = try event.encodedData()
        #expect(try DomainEvent.decode(type: event.type, data: data) == event)
    }

    @Test func typesMatchTheContract() {
        #expect(
            Self.samples.map(\.type) == [
                "chat.room_created", "chat.member_joined", "chat.member_left", "chat.message_posted",
                "orders.order_created", "notifications.notification_sent", "notifications.notification_sent",
                "notifications.notification_read",
            ])
    }

    @Test func streamsMatchTheContract() {
        #expect(
            Self.samples.map(\.streamName) == [
                "room-general", "room-general", "room-general", "room-general", "order-o-1",
                "notification-carol", "notification-carol", "notification-carol",
            ])
    }

    @Test func roomCreatedKeys() throws {
        #expect(
            try jsonObject(Self.samples[0].encodedData()) == [
                "room_id": "general", "name": "General", "visibility": "private", "created_by": "alice",
            ])
    }

    @Test func memberKeys() throws {
        #expect(try jsonObject(Self.samples[1].encodedData()) == ["room_id": "general", "user": "bob", "added_by": "alice"])
        #expect(try jsonObject(Self.samples[2].encodedData()) == ["room_id": "general", "user": "bob"])
    }

    @Test func messagePostedKeys() throws {
        #expect(
            try jsonObject(Self.samples[3].encodedData()) == [
                "room_id": "general", "message_id": "m-1", "author": "alice", "text": "hi 👋 a/b \"q\"", "client_msg_id": "c-1",
            ])
    }

    @Test func orderCreatedKeys() throws {
        #expect(
            try jsonObject(Self.samples[4].encodedData()) == [
                "order_id": "o-1", "customer_id": "carol",
                "items": [["sku": "apple", "quantity": 3, "unit_price_cents": 125]],
                "total_cents": 375, "currency": "EUR",
            ])
    }

    @Test func notificationKeys() throws {
        #expect(
            try jsonObject(Self.samples[5].encodedData()) == [
                "notification_id": "n-1", "user_id": "carol", "kind": "order_created", "content": "c", "related_event_id": "42",
            ])
        #expect(try jsonObject(Self.samples[7].encodedData()) == ["notification_id": "n-1", "user_id": "carol"])
    }

    @Test func missingRelatedEventIdIsAnExplicitNull() throws {
        let data = try Self.samples[6].encodedData()
        #expect(try jsonObject(data)["related_event_id"] == .null)
        #expect(String(decoding: data, as: UTF8.self).contains(#""related_event_id":null"#))
    }

    @Test func dataIsCompactWithSortedKeysAndUnescapedSlashes() throws {
        let data = try Self.samples[1].encodedData()
        #expect(String(decoding: data, as: UTF8.self) == #"{"added_by":"alice","room_id":"general","user":"bob"}"#)
        let posted = String(decoding: try Self.samples[3].encodedData(), as: UTF8.self)
        #expect(posted.hasPrefix(#"{"author":"alice","client_msg_id":"c-1","message_id":"m-1","room_id":"general","text":"#))
        #expect(posted.contains("a/b"))
    }

    @Test func equalEventsEncodeToEqualBytes() throws {
        for event in Self.samples {
            #expect(try event.encodedData() == event.encodedData())
        }
    }

    @Test func unknownTypesDecodeToNil() throws {
        #expect(try DomainEvent.decode(type: "chat.message_edited", data: Data(#"{"room_id":"general"}"#.utf8)) == nil)
        #expect(try DomainEvent.decode(type: "", data: Data("{}".utf8)) == nil)
        #expect(try DomainEvent.decode(type: "CHAT.ROOM_CREATED", data: Data("{}".utf8)) == nil)
    }

    @Test func knownTypeWithBadDataThrows() {
        #expect(throws: DecodingError.self) {
            try DomainEvent.decode(type: "chat.member_left", data: Data(#"{"room_id":"general"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try DomainEvent.decode(
                type: "chat.room_created", data: Data(#"{"room_id":"g","name":"g","visibility":"secret","created_by":"a"}"#.utf8))
        }
    }

    @Test func readSaysWhyAnEventCannotBeDecodedWithoutQuotingItsData() {
        #expect(DomainEvent.read(type: "chat.reaction_added", data: Data(#"{"room_id":"general"}"#.utf8))
            == .failure(UndecodableEvent(reason: .unknownType, detail: "unknown type")))
        #expect(DomainEvent.read(type: "chat.message_posted", data: Data(#"{"room_id":"general","author":"a"}"#.utf8))
            == .failure(UndecodableEvent(reason: .malformedData, detail: "missing message_id")))
        // A wrong type of value is named by its field; the value itself (message text) is not logged.
        let mistyped = DomainEvent.read(
            type: "chat.member_left", data: Data(#"{"room_id":"general","user":["secret text"]}"#.utf8)
        )
        guard case .failure(let problem) = mistyped else { Issue.record("expected a failure"); return }
        #expect(problem.reason == .malformedData)
        #expect(problem.detail.contains("user") && !problem.detail.contains("secret"))
        #expect(DomainEvent.read(type: "chat.member_left", data: Data(#"{"room_id":"general","user":"bob"}"#.utf8))
            == .success(.memberLeft(MemberLeft(roomId: "general", user: "bob"))))
    }

    @Test func extraFieldsFromNewerVersionsAreIgnored() throws {
        let data = Data(#"{"room_id":"general","user":"bob","reason":"bored","left_at":1}"#.utf8)
        #expect(try DomainEvent.decode(type: "chat.member_left", data: data) == .memberLeft(MemberLeft(roomId: "general", user: "bob")))
    }

    @Test func missingRelatedEventIdDecodesAsNil() throws {
        let data = Data(#"{"notification_id":"n","user_id":"u","kind":"k","content":"c"}"#.utf8)
        guard case .notificationSent(let e)? = try DomainEvent.decode(type: NotificationSent.eventType, data: data) else {
            Issue.record("expected notification_sent")
            return
        }
        #expect(e.relatedEventId == nil)
    }
}
