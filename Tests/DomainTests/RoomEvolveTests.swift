import Domain
import Foundation
import Testing

@Suite struct RoomEvolveTests {
    private let created = DomainEvent.roomCreated(RoomCreated(roomId: "g", name: "G", visibility: .public, createdBy: "alice"))

    private func joined(_ user: String) -> DomainEvent { .memberJoined(MemberJoined(roomId: "g", user: user, addedBy: user)) }
    private func left(_ user: String) -> DomainEvent { .memberLeft(MemberLeft(roomId: "g", user: user)) }
    private let posted = DomainEvent.messagePosted(MessagePosted(roomId: "g", messageId: "m", author: "alice", text: "t", clientMsgId: "c"))

    @Test func roomCreatedStartsAnEmptyRoom() {
        #expect(
            Room.evolve(nil, created, version: 1)
                == RoomState(roomId: "g", name: "G", visibility: .public, createdBy: "alice", members: [:]))
    }

    @Test func foldTracksMembersByJoinVersion() {
        let state = fold([created, joined("alice"), joined("bob"), posted, left("alice"), joined("carol"), joined("alice")], Room.evolve)
        #expect(state?.members == ["bob": 3, "carol": 6, "alice": 7])
        #expect(state?.isMember("bob") == true)
        #expect(state?.isMember("dave") == false)
    }

    @Test func messagesDoNotChangeTheState() {
        let before = fold([created, joined("alice")], Room.evolve)
        #expect(Room.evolve(before, posted, version: 3) == before)
    }

    @Test func duplicateJoinKeepsTheFirstVersion() {
        let state = fold([created, joined("alice"), joined("alice")], Room.evolve)
        #expect(state?.members == ["alice": 2])
    }

    @Test func leavingWhenNotAMemberIsHarmless() {
        let state = fold([created, left("bob")], Room.evolve)
        #expect(state?.members == [:])
    }

    @Test func eventsBeforeCreationOrFromOtherAggregatesAreIgnored() {
        #expect(Room.evolve(nil, joined("alice"), version: 1) == nil)
        #expect(Room.evolve(nil, posted, version: 1) == nil)
        let state = fold([created, joined("alice")], Room.evolve)
        let order = DomainEvent.orderCreated(OrderCreated(orderId: "o", customerId: "c", items: [], totalCents: 0, currency: "EUR"))
        #expect(Room.evolve(state, order, version: 3) == state)
        let recreated = DomainEvent.roomCreated(RoomCreated(roomId: "g", name: "Other", visibility: .private, createdBy: "eve"))
        #expect(Room.evolve(state, recreated, version: 3) == state)
    }

    @Test func stateSnapshotRoundTrips() throws {
        let state = try #require(fold([created, joined("alice"), joined("bob")], Room.evolve))
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(RoomState.self, from: data) == state)
        #expect(Set(try jsonObject(data).keys) == ["room_id", "name", "visibility", "created_by", "members"])
    }
}
