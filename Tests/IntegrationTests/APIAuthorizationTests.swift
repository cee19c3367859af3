import Domain
import Foundation
import HTTPTypes
import Testing

/// Who may do what in rooms (contract §2, §4): a private room answers 403 to non-members, a
/// public one may be read by anyone but written only by members; room ids are not secret.
@Suite struct APIAuthorizationTests {
    /// The ids of the rooms `user` sees in `GET /v1/rooms` once the read model has `eventID`.
    static func visibleRooms(_ server: TestServer, to user: String, after eventID: String) async throws -> [String] {
        let reply = try await server.read("/v1/rooms?min_event_id=\(eventID)&limit=500", as: user)
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.array("rooms").compactMap { $0[member: "room_id"]?.asString }
    }

    @Test func aNonMemberCannotJoinAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            expectProblem(try await server.post("/v1/rooms/\(room)/join", as: "mallory"), .forbidden, "forbidden")
        }
    }

    @Test func aNonMemberCannotPostToAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            expectProblem(try await server.postMessage("hello", in: room, by: "mallory"), .forbidden, "forbidden")
            let alices = try await server.postMessage("members only", in: room, by: "alice")
            let posted = try await server.events(ofType: "chat.message_posted", through: alices.string("event_id"))
            #expect(posted.map { $0[member: "data"]?[member: "author"]?.asString } == ["alice"])
        }
    }

    @Test func aNonMemberCannotReadAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            let created = try await server.createRoom(room, by: "alice", visibility: "private")
            let eventID = try #require(created.string("event_id"))
            let reply = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: "mallory")
            expectProblem(reply, .forbidden, "forbidden")
        }
    }

    @Test func aNonMemberCannotSignalTypingInAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let reply = try await server.post("/v1/rooms/\(room)/typing", as: "mallory", json: #"{"state":"started"}"#)
            expectProblem(reply, .forbidden, "forbidden")
            #expect(try await server.post("/v1/rooms/\(room)/typing", as: "alice", json: #"{"state":"started"}"#).status == .noContent)
        }
    }

    @Test func aPrivateRoomIsListedForMembersOnly() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            let eventID = try #require(try await server.createRoom(room, by: "alice", visibility: "private").string("event_id"))
            #expect(try await Self.visibleRooms(server, to: "alice", after: eventID).contains(room))
            #expect(try await !Self.visibleRooms(server, to: "mallory", after: eventID).contains(room))
        }
    }

    @Test func anAddedMemberCanPostAndReadInAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let added = try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#)
            #expect(added.status == .ok, "\(added.text)")
            #expect(added.string("room_id") == room)
            #expect(added.string("event_id") != nil)
            let posted = try await server.postMessage("hi from bob", in: room, by: "bob")
            #expect(posted.status == .created, "\(posted.text)")
            let eventID = try #require(posted.string("event_id"))
            let page = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(eventID)", as: "bob")
            #expect(page.status == .ok, "\(page.text)")
            #expect(page.array("messages").map { $0[member: "author"]?.asString } == ["bob"])
            #expect(try await Self.visibleRooms(server, to: "bob", after: eventID).contains(room))
        }
    }

    @Test func anAddedMemberJoiningAnswersTheEventThatAddedThem() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let added = try await server.post("/v1/rooms/\(room)/members", as: "alice", json: #"{"user":"bob"}"#)
            let join = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            #expect(join.status == .ok, "\(join.text)")
            #expect(join.string("event_id") == added.string("event_id"))
        }
    }

    @Test func aNonMemberCannotSignalTypingInAPublicRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("public")
            try await server.createRoom(room, by: "alice")
            let reply = try await server.post("/v1/rooms/\(room)/typing", as: "bob", json: #"{"state":"started"}"#)
            expectProblem(reply, .forbidden, "forbidden")
        }
    }

    @Test func aNonMemberCannotAddMembersToAPrivateRoom() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("private")
            try await server.createRoom(room, by: "alice", visibility: "private")
            let reply = try await server.post("/v1/rooms/\(room)/members", as: "mallory", json: #"{"user":"mallory"}"#)
            expectProblem(reply, .forbidden, "forbidden")
        }
    }

    @Test func anyoneCanReadAPublicRoomButOnlyMembersPost() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("public")
            try await server.createRoom(room, by: "alice")
            let first = try #require(try await server.postMessage("welcome", in: room, by: "alice").string("event_id"))
            let read = try await server.read("/v1/rooms/\(room)/messages?min_event_id=\(first)", as: "bob")
            #expect(read.status == .ok, "\(read.text)")
            #expect(read.array("messages").count == 1)

            expectProblem(try await server.postMessage("before joining", in: room, by: "bob"), .forbidden, "forbidden")
            let joined = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            #expect(joined.status == .ok, "\(joined.text)")
            #expect(try await server.postMessage("after joining", in: room, by: "bob").status == .created)
        }
    }

    @Test func joiningTwiceAnswersTheSameJoinEvent() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("public")
            try await server.createRoom(room, by: "alice")
            let first = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            let second = try await server.post("/v1/rooms/\(room)/join", as: "bob")
            #expect(first.status == .ok, "\(first.text)")
            #expect(second.status == .ok, "\(second.text)")
            #expect(first.string("event_id") != nil)
            #expect(second.string("event_id") == first.string("event_id"))
            let joins = try await server.events(ofType: "chat.member_joined", through: second.string("event_id"))
            #expect(joins.count == 2) // alice's and bob's
        }
    }

    @Test func theCreatorJoiningAnswersTheirJoinEvent() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("public")
            let created = try await server.createRoom(room, by: "alice")
            let join = try await server.post("/v1/rooms/\(room)/join", as: "alice")
            #expect(join.status == .ok, "\(join.text)")
            // The creation's last event is the creator's chat.member_joined.
            #expect(join.string("event_id") == created.string("event_id"))
        }
    }

    @Test func leavingARoomOneIsNotInIsForbidden() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("public")
            try await server.createRoom(room, by: "alice")
            expectProblem(try await server.post("/v1/rooms/\(room)/leave", as: "bob"), .forbidden, "forbidden")
        }
    }

    @Test func anUnknownRoomIsNotFound() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("nowhere")
            expectProblem(try await server.post("/v1/rooms/\(room)/join", as: "alice"), .notFound, "not_found")
            expectProblem(try await server.get("/v1/rooms/\(room)/messages", as: "alice"), .notFound, "not_found")
        }
    }

    @Test func creatingAnExistingRoomIsAConflict() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("taken")
            let created = try await server.createRoom(room, by: "alice", visibility: "private")
            #expect(created.status == .created)
            expectProblem(try await server.createRoom(room, by: "bob"), .conflict, "conflict")
            expectProblem(try await server.createRoom(room, by: "alice"), .conflict, "conflict")
            let other = try await server.createRoom(TestServer.uniqueID("other"), by: "alice")
            #expect(try await server.events(ofType: "chat.room_created", through: other.string("event_id")).count == 2)
        }
    }
}
