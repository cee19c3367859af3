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
}
