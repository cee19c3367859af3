import Foundation

/// The chat client's state and decisions, without I/O: inputs (a typed line, a server frame, a
/// connection change, time passing) go in, effects (frames to send, lines to show, REST calls to
/// make) come out. The executable performs the effects and feeds their results back in.
///
/// It owns the room being shown, its `Timeline` (no duplicates, the resume point), the `Outbox`
/// (posts awaiting their ack, resent on every new connection) and the typing state.
public struct ChatSession: Sendable {
    public enum Connection: Sendable, Equatable {
        /// Connecting (first time or again).
        case connecting
        /// Open, replaying what was missed.
        case subscribing
        /// Open and caught up: what arrives now is live.
        case live
        /// Disconnected; the next attempt is after this delay.
        case waiting(Duration)
        /// Stopped for good, with the reason.
        case closed(String)

        public var isOpen: Bool { self == .subscribing || self == .live }
    }

    public enum Input: Sendable {
        case connected
        case disconnected(Disconnect)
        case retrying(after: Duration)
        case gaveUp(String)
        case frame(ServerFrame, at: ContinuousClock.Instant)
        /// The room exists and the caller is a member. `history` is the room's newest messages,
        /// oldest first, and every event of the room up to `readThrough` is in it or older than
        /// it: the subscription resumes after `readThrough`, so it replays nothing shown.
        case roomOpened(room: String, readThrough: Int64, history: [ChatMessage])
        case roomFailed(room: String, reason: String)
        case roomLeft(room: String)
        case roomsListed([RoomSummary])
        case requestFailed(String)
        /// A line the user submitted: a message or a /command.
        case line(String)
        /// A message, taken as it is (line mode: every input line is a message).
        case message(String)
        /// The input line changed.
        case edited(at: ContinuousClock.Instant, isEmpty: Bool)
        case tick(at: ContinuousClock.Instant)
        /// No more input will come (end of a piped stdin): quit once the outbox is empty.
        case inputEnded
        /// The wait asked for by `Effect.retrySubscription` is over.
        case subscriptionRetryDue
    }

    /// A line for the message area.
    public enum Output: Sendable, Equatable {
        case message(ChatMessage)
        case notice(String)
        case problem(String)
    }

    public enum Effect: Sendable, Equatable {
        case send(ClientFrame)
        case show(Output)
        /// Create the room or join it, then read its recent history (REST).
        case openRoom(String)
        case leaveRoom(String)
        case listRooms
        /// Feed `Input.subscriptionRetryDue` back after this delay: the server has not yet seen
        /// the event we resume from (`unavailable`) and asked us to try again then.
        case retrySubscription(after: Duration)
        case quit
    }

    /// The room on screen.
    public struct Room: Sendable, Equatable {
        public let id: String
        public var timeline: Timeline
        /// Who is online in the room, as the server last told (nil until it has: right after
        /// subscribing, and while offline, when the last list may be stale).
        public var online: Set<String>?
        public var topic: String { ClientFrame.topic(room: id) }
    }

    public let me: String
    public private(set) var connection: Connection = .connecting
    public private(set) var room: Room?
    /// A room being opened by `/join`, until it is ready.
    public private(set) var opening: String?
    public private(set) var outbox: Outbox
    public private(set) var typing: TypingTracker
    private var debouncer: TypingDebouncer
    /// The ref of the subscribe whose `caught_up` makes the connection live.
    private var subscriptionRef: String?
    /// Whether the room's subscribe waits out an `unavailable` (`Effect.retrySubscription`).
    private var retryPending = false
    private var nextRef = 1
    private var inputEnded = false
    /// Whether a connection was ever open: later openings say "reconnected".
    private var wasOpen = false
    private let makeClientMsgID: @Sendable () -> String

    public init(
        me: String,
        outbox: Outbox = Outbox(),
        debouncer: TypingDebouncer = TypingDebouncer(),
        makeClientMsgID: @escaping @Sendable () -> String = { "c-" + UUID().uuidString.lowercased() }
    ) {
        self.me = me
        self.outbox = outbox
        self.typing = TypingTracker(me: me)
        self.debouncer = debouncer
        self.makeClientMsgID = makeClientMsgID
    }

    /// The typing line, nil when nobody else types.
    public var typingLine: String? { typing.line }

    public mutating func handle(_ input: Input) -> [Effect] {
        switch input {
        case .connected: return connected()
        case .disconnected(let reason): return disconnected(reason)
        case .retrying(let delay):
            connection = .waiting(delay)
            return []
        case .gaveUp(let reason):
            connection = .closed(reason)
            return [.show(.problem(reason)), .quit]
        case .frame(let frame, let now): return received(frame, at: now)
        case .roomOpened(let id, let readThrough, let history): return opened(id, readThrough: readThrough, history: history)
        case .roomFailed(let id, let reason):
            if opening == id { opening = nil }
            return [.show(.problem("cannot open #\(id): \(reason)"))]
        case .roomLeft(let id): return left(id)
        case .roomsListed(let rooms): return listed(rooms)
        case .requestFailed(let reason): return [.show(.problem(reason))]
        case .line(let line): return submitted(line)
        case .message(let text):
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? [] : say(trimmed)
        case .edited(let now, let isEmpty):
            return typingEffects(debouncer.edited(at: now, isEmpty: isEmpty))
        case .tick(let now):
            typing.expire(at: now)
            return typingEffects(debouncer.tick(at: now))
        case .inputEnded:
            inputEnded = true
            return typingEffects(debouncer.stop()) + quitIfDrained()
        case .subscriptionRetryDue:
            // Stale if the connection or the room changed meanwhile: those subscribed afresh.
            guard retryPending, connection.isOpen, let room else { return [] }
            retryPending = false
            return [.send(subscribe(room))]
        }
    }

    // MARK: Connection

    private mutating func connected() -> [Effect] {
        var effects: [Effect] = wasOpen ? [.show(.notice("reconnected"))] : []
        wasOpen = true
        retryPending = false
        if let room {
            connection = .subscribing
            effects.append(.send(subscribe(room)))
        } else {
            connection = .live
        }
        // Everything still unacknowledged goes out again, oldest first, with its original
        // client_msg_id: a post whose ack was lost is answered, not posted twice.
        effects += outbox.pending.map { .send(post($0)) }
        return effects
    }

    private mutating func disconnected(_ reason: Disconnect) -> [Effect] {
        let wasOpen = connection.isOpen
        connection = .connecting
        subscriptionRef = nil
        retryPending = false
        room?.online = nil
        // Signals in flight are lost with the connection; the server forgets ours in 5 s.
        typing.clear()
        debouncer.reset()
        guard wasOpen else { return [] }
        return [.show(.notice("connection lost (\(Self.describe(reason))); reconnecting…"))]
    }

    private static func describe(_ reason: Disconnect) -> String {
        switch reason {
        case .closed(let code, let text): text.isEmpty ? "closed \(code)" : "closed \(code): \(text)"
        case .dropped(let text): text
        case .rejected(let status): status.map { "refused \($0)" } ?? "refused"
        }
    }

    // MARK: Frames

    private mutating func received(_ frame: ServerFrame, at now: ContinuousClock.Instant) -> [Effect] {
        switch frame {
        case .caughtUp(let ref, _) where ref != nil && ref == subscriptionRef:
            connection = .live
            return []
        case .subscribed(let ref, _, let refused) where ref != nil && ref == subscriptionRef:
            guard let room, let refusal = refused.first(where: { $0.topic == room.topic }) else { return [] }
            return stopFollowing(room, because: refusal.message.isEmpty ? refusal.code : refusal.message)
        case .event(let topic, let event) where topic == room?.topic:
            guard room?.timeline.admit(event.id) == true else { return [] }
            switch event {
            case .messagePosted(let message):
                typing.stopped(message.author)
                return [.show(.message(message))]
            case .memberJoined(_, let id, let user) where user != me:
                return [.show(.notice("\(user) joined #\(id)"))]
            case .memberLeft(_, let id, let user) where user != me:
                typing.stopped(user)
                return [.show(.notice("\(user) left #\(id)"))]
            default:
                return []
            }
        case .presence(let topic, let users) where topic == room?.topic:
            room?.online = Set(users)
            return []
        case .presenceDiff(let topic, let joins, let leaves) where topic == room?.topic:
            // A diff before any list cannot be applied (it never happens: the list comes first).
            let known = room?.online
            room?.online = known.map { $0.subtracting(leaves).union(joins) }
            return []
        case .typing(let topic, let user, let state) where topic == room?.topic:
            switch state {
            case .started: typing.started(user, at: now)
            case .stopped: typing.stopped(user)
            }
            return []
        case .ack(let ref?, _):
            outbox.remove(clientMsgID: ref)
            return quitIfDrained()
        case .error(let ref, let code, let message, let topics, let retryAfter):
            if let ref, let post = outbox.remove(clientMsgID: ref) {
                return [.show(.problem("not sent (\(code): \(message)): \(post.text)"))] + quitIfDrained()
            }
            if let ref, ref == subscriptionRef, let room {
                if code == "unavailable" {
                    // The server process has not seen our resume point yet (we come from one
                    // that is ahead): ask again when it says, still catching up meanwhile.
                    subscriptionRef = nil
                    retryPending = true
                    return [.retrySubscription(after: retryAfter ?? .seconds(1))]
                }
                // Our subscribe asks for the room's topic alone, so a refusal is the room's
                // (a server before contract section 10 names no topics).
                return stopFollowing(room, because: message.isEmpty ? code : message)
            }
            if ref == nil, !topics.isEmpty {
                // The server ended subscriptions: ours if it names the room (we are no longer a
                // member); any other is one we already gave up.
                guard let room, topics.contains(room.topic) else { return [] }
                return stopFollowing(room, because: message.isEmpty ? code : message)
            }
            return [.show(.problem("\(code): \(message)"))]
        default:
            return []
        }
    }

    // MARK: Rooms

    private mutating func opened(_ id: String, readThrough: Int64, history: [ChatMessage]) -> [Effect] {
        if opening == id { opening = nil }
        var effects = typingEffects(debouncer.stop())
        if let old = room, old.id != id, connection.isOpen {
            effects.append(.send(.unsubscribe(ref: takeRef("u"), topics: [old.topic])))
        }
        if room?.id == id { return effects }
        var timeline = Timeline()
        effects.append(.show(.notice("you are in #\(id)")))
        for message in history where timeline.admit(message.eventID) {
            effects.append(.show(.message(message)))
        }
        // Nothing up to `readThrough` is missing from the history, so resuming after it leaves no
        // gap, even when the room has no messages yet.
        timeline.advance(to: readThrough)
        let room = Room(id: id, timeline: timeline)
        self.room = room
        typing.clear()
        retryPending = false
        if connection.isOpen {
            connection = .subscribing
            effects.append(.send(subscribe(room)))
        }
        return effects
    }

    private mutating func left(_ id: String) -> [Effect] {
        guard let room, room.id == id else { return [.show(.notice("left #\(id)"))] }
        var effects = typingEffects(debouncer.stop())
        if connection.isOpen {
            effects.append(.send(.unsubscribe(ref: takeRef("u"), topics: [room.topic])))
            connection = .live
        }
        self.room = nil
        subscriptionRef = nil
        retryPending = false
        typing.clear()
        return effects + [.show(.notice("left #\(id); /join a room to chat again"))]
    }

    /// The server will not let us follow the room (any more): leave it on our side and say why;
    /// `/join` asks again.
    private mutating func stopFollowing(_ room: Room, because reason: String) -> [Effect] {
        self.room = nil
        subscriptionRef = nil
        retryPending = false
        typing.clear()
        // No `stopped` signal: the server would refuse it, and it expires a `started` itself.
        debouncer.reset()
        if connection == .subscribing { connection = .live }
        return [
            .show(.problem("not following #\(room.id): \(reason)")),
            .show(.notice("/join \(room.id) to try again, /rooms to list the rooms")),
        ]
    }

    private func listed(_ rooms: [RoomSummary]) -> [Effect] {
        guard !rooms.isEmpty else { return [.show(.notice("no rooms yet: /join NAME creates one"))] }
        return rooms.map { .show(.notice($0.listing(isHere: $0.roomID == room?.id))) }
    }

    // MARK: Input

    private mutating func submitted(_ line: String) -> [Effect] {
        switch InputCommand.parse(line) {
        case .nothing:
            return []
        case .say(let text):
            return say(text)
        case .join(let id):
            if id == room?.id { return [.show(.notice("you are already in #\(id)"))] }
            opening = id
            return [.openRoom(id)]
        case .leave:
            guard let room else { return [.show(.problem("you are in no room"))] }
            return [.leaveRoom(room.id)]
        case .rooms:
            return [.listRooms]
        case .who:
            guard let room else { return [.show(.problem("you are in no room: /join ROOM first"))] }
            guard let online = room.online else { return [.show(.notice("not connected: who is online in #\(room.id) is not known"))] }
            return [.show(.notice("online in #\(room.id): \(online.sorted().joined(separator: ", "))"))]
        case .help:
            return InputCommand.helpText.split(separator: "\n").map { .show(.notice(String($0))) }
        case .quit:
            return typingEffects(debouncer.stop()) + [.quit]
        case .invalid(let reason):
            // The first line says what is wrong; any further lines (the help) are guidance.
            let lines = reason.split(separator: "\n").map(String.init)
            return lines.prefix(1).map { .show(.problem($0)) } + lines.dropFirst().map { .show(.notice($0)) }
        }
    }

    private mutating func say(_ text: String) -> [Effect] {
        guard let room else { return [.show(.problem("you are in no room: /join ROOM first"))] }
        var effects = typingEffects(debouncer.stop())
        let pending = PendingPost(room: room.id, text: text, clientMsgID: makeClientMsgID())
        guard outbox.add(pending) else {
            return effects + [.show(.problem("not sent: \(outbox.capacity) messages are already waiting for the connection"))]
        }
        if connection.isOpen { effects.append(.send(post(pending))) }
        return effects
    }

    // MARK: Helpers

    private mutating func subscribe(_ room: Room) -> ClientFrame {
        let ref = takeRef("s")
        subscriptionRef = ref
        return .subscribe(ref: ref, topics: [room.topic], since: room.timeline.lastEventID)
    }

    private func post(_ pending: PendingPost) -> ClientFrame {
        // The ref is the client_msg_id, so an ack or error finds its post without a table.
        .post(ref: pending.clientMsgID, room: pending.room, text: pending.text, clientMsgID: pending.clientMsgID)
    }

    private mutating func takeRef(_ prefix: String) -> String {
        defer { nextRef += 1 }
        return "\(prefix)\(nextRef)"
    }

    /// A typing signal goes out only on an open connection and in a room; otherwise it is
    /// dropped, which is harmless: the server expires a `started` by itself.
    private func typingEffects(_ signal: TypingSignal?) -> [Effect] {
        guard let signal, let room, connection.isOpen else { return [] }
        return [.send(.typing(room: room.id, state: signal))]
    }

    private func quitIfDrained() -> [Effect] {
        inputEnded && outbox.isEmpty ? [.quit] : []
    }
}
