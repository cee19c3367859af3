import Domain
import Testing

@Suite struct RoomTests {
    /// `general` (public) created by alice: alice joined at version 2.
    private func room(_ visibility: Visibility = .public, extra: [DomainEvent] = []) -> RoomState? {
        let created = try! Room.create(Make.createRoom("general", visibility: visibility), actor: "alice", state: nil)
        return fold(created + extra, Room.evolve)
    }

    private func joined(_ user: String, by: String? = nil) -> DomainEvent {
        .memberJoined(MemberJoined(roomId: "general", user: user, addedBy: by ?? user))
    }

    // MARK: create

    @Test func createEmitsRoomCreatedThenTheCreatorsJoin() throws {
        let c = try CreateRoom(body: ["room_id": "ops", "name": " Ops ", "visibility": "private"])
        #expect(
            try Room.create(c, actor: "alice", state: nil) == [
                .roomCreated(RoomCreated(roomId: "ops", name: "Ops", visibility: .private, createdBy: "alice")),
                .memberJoined(MemberJoined(roomId: "ops", user: "alice", addedBy: "alice")),
            ])
    }

    @Test func createOnAnExistingRoomConflicts() {
        #expect(
            rejection { () throws(DomainRejection) in try Room.create(Make.createRoom(), actor: "bob", state: room()) }
                == .conflict("room general already exists"))
    }

    // MARK: join

    @Test func joinAPublicRoom() throws {
        #expect(try Room.join(roomId: "general", actor: "bob", state: room()) == .append([joined("bob")]))
    }

    @Test func joinAMissingRoomIsNotFound() {
        #expect(
            rejection { () throws(DomainRejection) in try Room.join(roomId: "nope", actor: "bob", state: nil) }
                == .notFound("room nope not found"))
    }

    @Test func joinAPrivateRoomAsANonMemberIsForbidden() {
        guard
            case .forbidden? = rejection({ () throws(DomainRejection) in
                try Room.join(roomId: "general", actor: "bob", state: room(.private))
            })
        else {
            Issue.record("expected forbidden")
            return
        }
    }

    @Test func joiningAgainIsUnchangedWithTheVersionOfTheJoin() throws {
        #expect(try Room.join(roomId: "general", actor: "alice", state: room()) == .unchanged(existingVersion: 2))
        #expect(try Room.join(roomId: "general", actor: "alice", state: room(.private)) == .unchanged(existingVersion: 2))
        let state = room(extra: [joined("bob")])
        #expect(try Room.join(roomId: "general", actor: "bob", state: state) == .unchanged(existingVersion: 3))
    }

    // MARK: leave

    @Test func leave() throws {
        #expect(
            try Room.leave(roomId: "general", actor: "alice", state: room()) == [
                .memberLeft(MemberLeft(roomId: "general", user: "alice"))
            ])
    }

    @Test func leaveAMissingRoomIsNotFound() {
        #expect(
            rejection { () throws(DomainRejection) in try Room.leave(roomId: "x", actor: "alice", state: nil) }
                == .notFound("room x not found"))
    }

    @Test func leaveWhenNotAMemberIsForbidden() {
        #expect(
            rejection { () throws(DomainRejection) in try Room.leave(roomId: "general", actor: "bob", state: room()) }
                == .forbidden("not a member of this room"))
    }

    @Test func leaveThenRejoinRecordsTheNewJoin() throws {
        var state = room(extra: [joined("bob")])  // bob at 3
        state = fold(try Room.leave(roomId: "general", actor: "bob", state: state), from: state, startingAt: 4, Room.evolve)
        #expect(state?.members == ["alice": 2])
        #expect(
            rejection { () throws(DomainRejection) in try Room.leave(roomId: "general", actor: "bob", state: state) }
                == .forbidden("not a member of this room"))
        guard case .append(let events) = try Room.join(roomId: "general", actor: "bob", state: state) else {
            Issue.record("expected a join")
            return
        }
        state = fold(events, from: state, startingAt: 5, Room.evolve)
        #expect(state?.members == ["alice": 2, "bob": 5])
        #expect(try Room.join(roomId: "general", actor: "bob", state: state) == .unchanged(existingVersion: 5))
    }

    @Test func leavingAPrivateRoomLocksYouOut() throws {
        var state = room(.private, extra: [joined("bob", by: "alice")])
        state = fold(try Room.leave(roomId: "general", actor: "bob", state: state), from: state, startingAt: 4, Room.evolve)
        #expect(
            rejection { () throws(DomainRejection) in try Room.join(roomId: "general", actor: "bob", state: state) }
                == .forbidden("room general is private"))
        #expect(Room.canRead(state!, user: "bob") == false)
    }

    // MARK: add member

    @Test func aMemberAddsSomeone() throws {
        #expect(
            try Room.addMember(Make.addMember("bob"), roomId: "general", actor: "alice", state: room(.private))
                == .append([joined("bob", by: "alice")]))
    }

    @Test func addMemberRejections() {
        #expect(
            rejection { () throws(DomainRejection) in
                try Room.addMember(Make.addMember("bob"), roomId: "general", actor: "alice", state: nil)
            }
                == .notFound("room general not found"))
        #expect(
            rejection { () throws(DomainRejection) in
                try Room.addMember(Make.addMember("bob"), roomId: "general", actor: "eve", state: room())
            }
                == .forbidden("not a member of this room"))
        #expect(
            rejection { () throws(DomainRejection) in
                try Room.addMember(Make.addMember("eve"), roomId: "general", actor: "eve", state: room(.private))
            }
                == .forbidden("not a member of this room"))
    }

    @Test func addingAMemberAgainIsUnchanged() throws {
        let state = room(extra: [joined("bob", by: "alice")])
        #expect(
            try Room.addMember(Make.addMember("bob"), roomId: "general", actor: "alice", state: state) == .unchanged(existingVersion: 3))
        #expect(
            try Room.addMember(Make.addMember("alice"), roomId: "general", actor: "bob", state: state) == .unchanged(existingVersion: 2))
    }

    // MARK: post and typing

    @Test func aMemberPosts() throws {
        let events = try Room.post(
            Make.post("  hi  "), roomId: "general", messageId: "m-9", clientMsgId: "gen-1", actor: "alice", state: room())
        #expect(
            events == [
                // The command carried no client_msg_id: the event says the id was generated.
                .messagePosted(MessagePosted(roomId: "general", messageId: "m-9", author: "alice", text: "hi", clientMsgId: "gen-1",
                                             clientMsgIdGenerated: true))
            ])
    }

    @Test func postRejections() {
        #expect(
            rejection { () throws(DomainRejection) in
                try Room.post(Make.post(), roomId: "general", messageId: "m", clientMsgId: "c", actor: "alice", state: nil)
            } == .notFound("room general not found"))
        // Even a public room: reading is open, writing is for members.
        #expect(
            rejection { () throws(DomainRejection) in
                try Room.post(Make.post(), roomId: "general", messageId: "m", clientMsgId: "c", actor: "bob", state: room())
            } == .forbidden("not a member of this room"))
    }

    @Test func typingIsForMembers() throws {
        try Room.checkTyping(roomId: "general", actor: "alice", state: room())
        #expect(
            rejection { () throws(DomainRejection) in try Room.checkTyping(roomId: "general", actor: "alice", state: nil) }
                == .notFound("room general not found"))
        #expect(
            rejection { () throws(DomainRejection) in try Room.checkTyping(roomId: "general", actor: "bob", state: room()) }
                == .forbidden("not a member of this room"))
    }

    // MARK: read access

    @Test func canRead() throws {
        #expect(Room.canRead(try #require(room()), user: "anyone"))
        #expect(Room.canRead(try #require(room(.private)), user: "alice"))
        #expect(!Room.canRead(try #require(room(.private)), user: "bob"))
        #expect(Room.canRead(try #require(room(.private, extra: [joined("bob", by: "alice")])), user: "bob"))
    }
}
