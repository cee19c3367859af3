@testable import Realtime
import Testing

/// Who is online, as one process knows it, and what its subscribers are told (contract
/// section 9). No database: remote users are handed in as the service would read them.
@Suite struct PresenceRosterTests {
    let one = ConnectionID(value: 1), two = ConnectionID(value: 2), three = ConnectionID(value: 3)

    /// A roster whose rooms' remote users were read (none, unless given).
    func flushed(_ roster: inout PresenceRoster, remote: [String: Set<String>] = [:]) -> [PresenceRoster.Send] {
        let rooms = roster.roomsToRead
        roster.setRemote(remote, for: rooms)
        return roster.flush()
    }

    @Test func aNewSubscriberIsSentEveryoneOnlineItselfIncludedOnceRemoteUsersAreKnown() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        #expect(roster.flush().isEmpty, "nothing is sent before the other processes' users are read")
        #expect(flushed(&roster, remote: ["general": ["bob"]])
            == [.init(connection: one, message: .list(room: "general", users: ["alice", "bob"]))])
        #expect(roster.flush().isEmpty, "nothing changed since")
    }

    @Test func othersAreToldWhoJoinedAndWhoLeft() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        _ = flushed(&roster)
        roster.join(two, user: "bob", room: "general")
        let sends = roster.flush()
        #expect(sends.contains(.init(connection: one, message: .diff(room: "general", joins: ["bob"], leaves: []))))
        #expect(sends.contains(.init(connection: two, message: .list(room: "general", users: ["alice", "bob"]))))
        #expect(sends.count == 2)
        roster.leave(two, room: "general")
        #expect(roster.flush() == [.init(connection: one, message: .diff(room: "general", joins: [], leaves: ["bob"]))])
    }

    @Test func twoTabsOfOneUserCountOnce() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        roster.join(two, user: "alice", room: "general")
        roster.join(three, user: "bob", room: "general")
        _ = flushed(&roster)
        #expect(Set(roster.takeWrites().present) == [.init(room: "general", user: "alice"), .init(room: "general", user: "bob")])
        roster.leave(one, room: "general")
        #expect(roster.flush().isEmpty, "alice still has a tab open")
        #expect(roster.takeWrites() == ([], []))
        roster.disconnect(two)
        #expect(roster.flush() == [.init(connection: three, message: .diff(room: "general", joins: [], leaves: ["alice"]))])
        #expect(roster.takeWrites() == ([], [.init(room: "general", user: "alice")]))
    }

    @Test func aThousandUsersJoiningAtOnceCostEachSubscriberOneFrame() {
        var roster = PresenceRoster()
        roster.join(one, user: "host", room: "hall")
        _ = flushed(&roster)
        for n in 2...1001 { roster.join(ConnectionID(value: UInt64(n)), user: "user-\(n)", room: "hall") }
        let sends = roster.flush()
        #expect(sends.count == 1001, "one diff for the host, one list for each newcomer")
        let toHost = sends.filter { $0.connection == one }
        #expect(toHost.count == 1)
        if case .diff(_, let joins, let leaves)? = toHost.first?.message {
            #expect(joins.count == 1000 && leaves.isEmpty)
        } else {
            Issue.record("the host got \(toHost)")
        }
        #expect(roster.takeWrites().present.count == 1001)
    }

    @Test func aVisitThatStartsAndEndsBetweenTwoFlushesIsNeitherSentNorWritten() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        _ = flushed(&roster)
        _ = roster.takeWrites()
        roster.join(two, user: "bob", room: "general")
        roster.leave(two, room: "general")
        #expect(roster.flush().isEmpty)
        // Deleting a row that was never written is harmless; writing it would be wrong.
        #expect(roster.takeWrites() == ([], [.init(room: "general", user: "bob")]))
    }

    @Test func otherProcessesChangesAreSentAsDiffs() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        _ = flushed(&roster, remote: ["general": ["bob"]])
        roster.remoteChanged(["general"])
        #expect(roster.roomsToRead == ["general"])
        #expect(flushed(&roster, remote: ["general": ["carol"]])
            == [.init(connection: one, message: .diff(room: "general", joins: ["carol"], leaves: ["bob"]))])
        // A user on this process and another one counts once, and stays while either has them.
        roster.remoteChanged(nil)
        #expect(flushed(&roster, remote: ["general": ["carol", "alice"]]).isEmpty)
    }

    @Test func subscribingAfreshSendsTheListAgain() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        _ = flushed(&roster)
        roster.join(one, user: "alice", room: "general")
        #expect(roster.flush() == [.init(connection: one, message: .list(room: "general", users: ["alice"]))])
        #expect(roster.takeWrites() == ([.init(room: "general", user: "alice")], []), "written once, when alice first came")
    }

    @Test func aRoomNobodyHereFollowsIsForgotten() {
        var roster = PresenceRoster()
        roster.join(one, user: "alice", room: "general")
        _ = flushed(&roster, remote: ["general": ["bob"]])
        roster.disconnect(one)
        #expect(roster.flush().isEmpty)
        #expect(roster.localUsers(in: "general").isEmpty)
        #expect(roster.roomsToRead.isEmpty)
        #expect(roster.rooms(of: one).isEmpty)
        // Its remote users were forgotten too: a new subscriber waits for them to be read again.
        roster.join(two, user: "carol", room: "general")
        #expect(roster.roomsToRead == ["general"])
    }
}
