import API
import Domain
import EventStore
import Foundation
import Testing
import WSClient

/// Who is online in a room (contract section 9), as clients of several server processes see it.
///
/// Each observer folds the `presence` list and the `presence_diff`s it receives into the set of
/// users it believes online, and the tests wait for that set to become what it must be: the
/// server decides when to send (it coalesces changes), the tests only what clients end up seeing.
@Suite struct PresenceTests {
    static func token(_ user: String) async throws -> String {
        try await TokenService(secret: TestServer.secret).sign(user: user, roles: [], expiresAt: Date().addingTimeInterval(600))
    }

    @Test func twoUsersOnTwoProcessesSeeEachOtherJoinAndLeave() async throws {
        try await Self.withTwoServers { portA, portB in
            let room = try await Self.createRoom(on: portA, by: "alice", members: ["bob"])
            let alice = try await PresenceObserver(port: portA, room: room, user: "alice")
            #expect(try await alice.waitFor(["alice"]).first == .list(["alice"]), "the first frame is the list")
            // Bob over a WebSocket on B: the list after his caught_up, then alice's view changes.
            try await Self.online(port: portB, user: "bob", room: room) { bob in
                _ = try await bob.waitFor(["alice", "bob"])
                _ = try await alice.waitFor(["alice", "bob"])
            }
            _ = try await alice.waitFor(["alice"])  // bob left when his only connection closed
        }
    }

    @Test func twoTabsOfOneUserCountOnce() async throws {
        try await Self.withTwoServers { portA, portB in
            let room = try await Self.createRoom(on: portA, by: "alice", members: ["bob", "carol"])
            let bob = try await PresenceObserver(port: portB, room: room, user: "bob")
            let firstTab = try await PresenceObserver(port: portB, room: room, user: "alice")
            let secondTab = try await PresenceObserver(port: portA, room: room, user: "alice")
            _ = try await secondTab.waitFor(["alice", "bob"])
            _ = try await bob.waitFor(["alice", "bob"])
            await secondTab.close()
            // Carol comes after the second tab closed: by the time bob sees her, he would have
            // seen alice leave too, had her tabs counted twice.
            let carol = try await PresenceObserver(port: portA, room: room, user: "carol")
            let seen = try await bob.waitFor(["alice", "bob", "carol"])
            #expect(!seen.contains { $0.leaves.contains("alice") }, "alice still had a tab open: \(seen)")
            _ = try await carol.waitFor(["alice", "bob", "carol"])
            await firstTab.close()
            let after = try await bob.waitFor(["bob", "carol"])
            #expect(after.filter { $0.leaves.contains("alice") }.count == 1, "alice left once, with her last tab: \(after)")
        }
    }

    @Test func theUsersOfAKilledProcessLeave() async throws {
        let database = try await TestDatabase.create()
        // A short expiry so that the test does not wait the default 20 s; the rule is the same.
        try await ServerProcess.withServer(arguments: ["--presence-expiry", "2"], database: database) { _, portA, _ in
            let room = try await Self.createRoom(on: portA, by: "alice", members: ["bob"])
            let alice = try await PresenceObserver(port: portA, room: room, user: "alice")
            let portB = try ServerProcess.freePort()
            let doomed = try ServerProcess(
                arguments: ["serve", "--dev", "--port", String(portB), "--presence-expiry", "2"], database: database
            )
            try await ServerProcess.waitUntilReady(port: portB)
            let bob = try await PresenceObserver(port: portB, room: room, user: "bob")
            _ = try await bob.waitFor(["alice", "bob"])
            _ = try await alice.waitFor(["alice", "bob"])
            doomed.kill(SIGKILL)
            _ = await doomed.waitForExit()
            // Bob's stream died with the process, which never said he left: the others notice.
            _ = try await alice.waitFor(["alice"])
            let answer = try await ConcurrentClient.get(port: portA, path: "/v1/rooms/\(room)/presence", token: try await Self.token("alice"))
            #expect(answer.body[member: "users"] == .array([.string("alice")]))
        }
        await TestDatabase.drop(database)
    }

    @Test func thePresenceRouteListsWhoIsOnlineToMembersOnly() async throws {
        try await Self.withTwoServers { portA, portB in
            let room = try await Self.createRoom(on: portA, by: "alice", members: ["bob"], visibility: "private")
            let path = "/v1/rooms/\(room)/presence"
            let alice = try await Self.token("alice")
            let bob = try await PresenceObserver(port: portB, room: room, user: "bob")
            _ = try await bob.waitFor(["bob"])
            // Bob is online through B; A answers from the shared table once B has written it.
            try await eventually("A lists bob") {
                try await ConcurrentClient.get(port: portA, path: path, token: alice).body[member: "users"] == .array([.string("bob")])
            }
            await bob.close()
            try await eventually("bob is gone") {
                try await ConcurrentClient.get(port: portA, path: path, token: alice).body[member: "users"] == .array([])
            }
            let outsider = try await ConcurrentClient.get(port: portA, path: path, token: try await Self.token("mallory"))
            #expect(outsider.status == 403)
            #expect(outsider.body[member: "code"]?.asString == "forbidden")
            let missing = try await ConcurrentClient.get(port: portA, path: "/v1/rooms/no-such-room/presence", token: alice)
            #expect(missing.status == 404)
        }
    }

    // MARK: Helpers

    static func withTwoServers(_ body: (_ a: Int, _ b: Int) async throws -> Void) async throws {
        try await ServerProcess.withTwoServers { _, portA, portB in
            try await ServerProcess.waitUntilReady(port: portA)
            try await ServerProcess.waitUntilReady(port: portB)
            try await body(portA, portB)
        }
    }

    /// A room created by `owner` with `members` added, by REST on `port`.
    static func createRoom(on port: Int, by owner: String, members: [String], visibility: String = "public") async throws -> String {
        let room = TestServer.uniqueID("room")
        let created = try await ConcurrentClient.post(
            port: port, path: "/v1/rooms", token: try await token(owner), json: #"{"room_id":"\#(room)","visibility":"\#(visibility)"}"#
        )
        #expect(created.status == 201)
        for member in members {
            let added = try await ConcurrentClient.post(
                port: port, path: "/v1/rooms/\(room)/members", token: try await token(owner), json: #"{"user":"\#(member)"}"#
            )
            #expect(added.status == 200)
        }
        return room
    }

    /// `user` online through a WebSocket subscribed to the room while `body` runs; `body` reads
    /// what that connection is told.
    static func online(port: Int, user: String, room: String, _ body: @escaping @Sendable (inout PresenceFrames) async throws -> Void) async throws {
        let token = try await token(user)
        try await withHangGuard {
            _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/ws?access_token=\(token)", logger: TestDatabase.logger) { inbound, outbound, _ in
                var frames = PresenceFrames(room: room, reader: FrameReader(inbound))
                try await outbound.write(.text(#"{"type":"subscribe","ref":"p","topics":["room:\#(room)"]}"#))
                try await body(&frames)
                try await outbound.close(.normalClosure, reason: nil)
                try await readUntilClosed(frames.reader)  // the close handshake comes after what is queued
            }
        }
    }
}

/// A presence frame as a client folds it.
enum PresenceFrame: Equatable, Sendable {
    case list([String])
    case diff(joins: [String], leaves: [String])

    var leaves: [String] { if case .diff(_, let leaves) = self { leaves } else { [] } }

    /// The presence frame of `topic` in `json` (a WebSocket frame or SSE data), if it is one.
    init?(_ json: JSONValue, topic: String) {
        guard json[member: "topic"]?.asString == topic else { return nil }
        let names = { (key: String) in (json[member: key]?.asArray ?? []).compactMap(\.asString) }
        switch json.frameType {
        case "presence": self = .list(names("users"))
        case "presence_diff": self = .diff(joins: names("joins"), leaves: names("leaves"))
        default: return nil
        }
    }

    /// Who is online after this frame.
    func applied(to users: Set<String>) -> Set<String> {
        switch self {
        case .list(let list): Set(list)
        case .diff(let joins, let leaves): users.subtracting(leaves).union(joins)
        }
    }
}

/// Reads presence frames until the users they add up to are the expected ones; returns the
/// frames read.
func waitForPresence(
    _ expected: Set<String>, users: inout Set<String>, isolation: isolated (any Actor)? = #isolation,
    next: () async throws -> PresenceFrame?
) async throws -> [PresenceFrame] {
    var seen: [PresenceFrame] = []
    while users != expected {
        guard let frame = try await next() else {
            Issue.record("the stream ended with \(users.sorted()) online, waiting for \(expected.sorted())")
            return seen
        }
        users = frame.applied(to: users)
        seen.append(frame)
    }
    return seen
}

/// Presence as told on one WebSocket.
struct PresenceFrames {
    let topic: String
    var reader: FrameReader
    var users: Set<String> = []

    init(room: String, reader: FrameReader) {
        topic = "room:\(room)"
        self.reader = reader
    }

    mutating func waitFor(_ expected: Set<String>) async throws -> [PresenceFrame] {
        let topic = topic
        var reader = reader
        defer { self.reader = reader }
        return try await waitForPresence(expected, users: &users) {
            while let frame = try await reader.next() {
                if let presence = PresenceFrame(frame, topic: topic) { return presence }
            }
            return nil
        }
    }
}

/// Presence as told on one SSE stream: its user is online until ``close()`` (or the test's end).
actor PresenceObserver {
    private var frames: AsyncStream<PresenceFrame>.Iterator
    private let reading: Task<Void, Never>
    private var users: Set<String> = []

    /// `user` online in `room` through a stream on `port`.
    init(port: Int, room: String, user: String) async throws {
        let response = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)", token: try await PresenceTests.token(user))
        #expect(response.status == .ok)
        let (stream, continuation) = AsyncStream.makeStream(of: PresenceFrame.self)
        // A task of its own reads the stream, so that cancelling it closes the connection.
        reading = Task {
            var reader = SSEReader(response)
            while !Task.isCancelled {
                guard let messages = try? await reader.read(until: { $0.last?.event?.hasPrefix("presence") == true }),
                      let last = messages.last, last.event?.hasPrefix("presence") == true
                else { break }
                if let frame = PresenceFrame(last.json, topic: "room:\(room)") { continuation.yield(frame) }
            }
            continuation.finish()
        }
        frames = stream.makeAsyncIterator()
    }

    deinit { reading.cancel() }

    /// Closes the stream: the user goes offline here.
    func close() async {
        reading.cancel()
        await reading.value
    }

    func waitFor(_ expected: Set<String>) async throws -> [PresenceFrame] {
        var frames = frames
        var users = users
        defer { self.frames = frames; self.users = users }
        return try await waitForPresence(expected, users: &users) { await frames.next() }
    }
}
