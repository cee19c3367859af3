import Domain
import Foundation
import Testing

@Suite struct NotificationsTests {
    private func sent(_ id: String, to user: String = "alice") -> DomainEvent {
        .notificationSent(NotificationSent(notificationId: id, userId: user, kind: "k", content: "c", relatedEventId: nil))
    }

    private func read(_ id: String, by user: String = "alice") -> DomainEvent {
        .notificationRead(NotificationRead(notificationId: id, userId: user))
    }

    // MARK: send

    @Test func send() throws {
        #expect(
            try Notifications.send(Make.notification(content: " Hi "), notificationId: "n-1", relatedEventId: nil, state: nil) == [
                .notificationSent(
                    NotificationSent(notificationId: "n-1", userId: "alice", kind: "announcement", content: "Hi", relatedEventId: nil))
            ])
        #expect(
            try Notifications.send(
                Make.notification(), notificationId: "n-2", relatedEventId: "17", state: fold([sent("n-1")], Notifications.evolve)) == [
                    .notificationSent(
                        NotificationSent(
                            notificationId: "n-2", userId: "alice", kind: "announcement", content: "Hello", relatedEventId: "17"))
                ])
    }

    @Test func sendingADuplicateIdConflicts() {
        let state = fold([sent("n-1")], Notifications.evolve)
        #expect(
            rejection { () throws(DomainRejection) in
                try Notifications.send(Make.notification(), notificationId: "n-1", relatedEventId: nil, state: state)
            } == .conflict("notification n-1 already exists"))
    }

    // MARK: mark read

    @Test func markRead() throws {
        let state = fold([sent("n-1"), sent("n-2")], Notifications.evolve)
        #expect(try Notifications.markRead(notificationId: "n-2", user: "alice", state: state) == .append([read("n-2")]))
    }

    @Test func markingAnUnknownNotificationIsNotFound() {
        #expect(
            rejection { () throws(DomainRejection) in try Notifications.markRead(notificationId: "n-1", user: "alice", state: nil) }
                == .notFound("notification n-1 not found"))
        let state = fold([sent("n-1")], Notifications.evolve)
        #expect(
            rejection { () throws(DomainRejection) in try Notifications.markRead(notificationId: "n-9", user: "alice", state: state) }
                == .notFound("notification n-9 not found"))
    }

    @Test func markingAgainIsUnchangedWithTheReadVersion() throws {
        let state = fold([sent("n-1"), sent("n-2"), read("n-1")], Notifications.evolve)
        #expect(try Notifications.markRead(notificationId: "n-1", user: "alice", state: state) == .unchanged(existingVersion: 3))
    }

    // MARK: evolve

    @Test func foldTracksSentAndReadVersions() {
        let state = fold([sent("a"), sent("b"), read("a"), sent("c"), read("c")], Notifications.evolve)
        #expect(
            state
                == NotificationsState(notifications: [
                    "a": NotificationStatus(sentVersion: 1, readVersion: 3),
                    "b": NotificationStatus(sentVersion: 2, readVersion: nil),
                    "c": NotificationStatus(sentVersion: 4, readVersion: 5),
                ]))
    }

    @Test func duplicatesKeepTheFirstVersionAndStrayReadsAreIgnored() {
        let state = fold([sent("a"), sent("a"), read("a"), read("a"), read("zzz")], Notifications.evolve)
        #expect(state == NotificationsState(notifications: ["a": NotificationStatus(sentVersion: 1, readVersion: 3)]))
        #expect(Notifications.evolve(nil, read("a"), version: 1) == nil)
        #expect(Notifications.evolve(nil, .memberLeft(MemberLeft(roomId: "g", user: "u")), version: 1) == nil)
    }

    @Test func stateSnapshotRoundTrips() throws {
        let state = try #require(fold([sent("a"), sent("b"), read("a")], Notifications.evolve))
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(NotificationsState.self, from: data) == state)
        let status = try JSONEncoder().encode(NotificationStatus(sentVersion: 1, readVersion: 3))
        #expect(try jsonObject(status) == ["sent_version": 1, "read_version": 3])
    }

    // MARK: reaction to orders

    private let order = OrderCreated(
        orderId: "o-1", customerId: "carol", items: [OrderItem(sku: "a", quantity: 2, unitPriceCents: 500)], totalCents: 1000,
        currency: "EUR")

    @Test func reactionToAnOrder() {
        #expect(
            Notifications.reaction(to: order, orderEventId: 1042)
                == NotificationSent(
                    notificationId: "n-order-1042", userId: "carol", kind: "order_created",
                    content: "Order o-1 created: 10.00 EUR", relatedEventId: "1042",
                    data: .object(["order_id": .string("o-1"), "total_cents": .int(1000), "currency": .string("EUR")])))
    }

    @Test func reactionIsDeterministic() {
        #expect(Notifications.reaction(to: order, orderEventId: 7) == Notifications.reaction(to: order, orderEventId: 7))
        #expect(
            Notifications.reaction(to: order, orderEventId: 7).notificationId
                != Notifications.reaction(to: order, orderEventId: 8).notificationId)
    }

    @Test func replayedReactionIsRecognisedAsADuplicate() throws {
        let reaction = Notifications.reaction(to: order, orderEventId: 7)
        let state = fold([.notificationSent(reaction)], Notifications.evolve)
        #expect(state?.notifications[reaction.notificationId] != nil)
        // Sending it again through the decide function is refused rather than duplicated.
        let command = try SendNotification(body: [
            "user_id": .string(reaction.userId), "kind": .string(reaction.kind), "content": .string(reaction.content),
        ])
        #expect(
            rejection { () throws(DomainRejection) in
                try Notifications.send(
                    command, notificationId: reaction.notificationId, relatedEventId: reaction.relatedEventId, state: state)
            } == .conflict("notification n-order-7 already exists"))
    }

    @Test func reactionIsAValidNotification() throws {
        let reaction = Notifications.reaction(to: order, orderEventId: Int64.max)
        #expect(Identifier.isValid(reaction.notificationId))
        #expect(Identifier.isValid(reaction.kind))
        #expect(reaction.relatedEventId == "9223372036854775807")
        // Its encoded data carries the contract's keys like any other notification, and `data`.
        #expect(
            Set(try jsonObject(DomainEvent.notificationSent(reaction).encodedData()).keys) == [
                "notification_id", "user_id", "kind", "content", "related_event_id", "data",
            ])
    }
}
