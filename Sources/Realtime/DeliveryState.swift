/// Why a live connection ends. The first reason recorded is the one the client is told: it is
/// what ended the connection, and anything later (a shutdown while a slow client's close frame
/// waits, say) is a consequence of it.
public enum CloseReason: Sendable, Equatable {
    /// The client left, or asked to close.
    case normal
    /// The server is shutting down: reconnect and resume (1001).
    case goingAway
    /// A frame over the size limit (1009).
    case messageTooBig
    /// The client broke the WebSocket protocol; the library's code (1002, 1007).
    case protocolError(code: Int)
    /// The token expired and no `auth` frame extended it (4001).
    case tokenExpired
    /// The client fell too far behind; it resumes by event id (4008).
    case tooSlow
    /// The client kept sending frames after being refused for a second (4029).
    case frameRateAbused

    /// The WebSocket close code.
    public var code: Int {
        switch self {
        case .normal: 1000
        case .goingAway: 1001
        case .messageTooBig: 1009
        case .protocolError(let code): code
        case .tokenExpired: 4001
        case .tooSlow: 4008
        case .frameRateAbused: 4029
        }
    }

    /// Its name in `tideline_live_disconnects_total{reason}` (the close code's meaning, so SSE
    /// streams, which have no close code, count alike).
    public var metricName: String {
        switch self {
        case .normal: "normal"
        case .goingAway: "going_away"
        case .messageTooBig: "message_too_big"
        case .protocolError: "protocol_error"
        case .tokenExpired: "token_expired"
        case .tooSlow: "too_slow"
        case .frameRateAbused: "frame_rate_abused"
        }
    }

    /// The close frame's reason text.
    public var text: String {
        switch self {
        case .normal: "bye"
        case .goingAway: "server shutting down: reconnect and resume"
        case .messageTooBig: "message too big: at most 64 KiB"
        case .protocolError: "protocol error"
        case .tokenExpired: "token expired"
        case .tooSlow: "too slow: reconnect and resume from the last event id you processed"
        case .frameRateAbused: "frame rate limit abused"
        }
    }
}

/// What one connection follows and has been sent, as a value: each method says what to send
/// (in order) and whether to close, and the shell (``LiveConnection``) only carries it out.
///
/// Rules:
/// - a topic is followed before it is authorized (see ``LiveSubscriptions``); until then nothing
///   of it is sent, typing included, and its held events wait for the verdict;
/// - live events go out in id order, each once, whatever number of the connection's topics it
///   matches;
/// - while a subscription replays from the store, every live event for the connection is held,
///   then the held events past the replay's end are released in id order, across all its topics;
/// - a member who leaves a private room receives their own departure, then the subscription ends
///   (`revoked`) and the hub stops routing the room to them;
/// - held events and queued items are bounded: past the bound the connection closes `tooSlow`;
/// - once closing, nothing more is sent.
struct DeliveryState {
    struct Subscription: Equatable {
        var topic: Topic
        var privateRoom: Bool
        /// Whether the caller may read it: nothing is sent before.
        var authorized: Bool
    }

    typealias Outbound = LiveConnection.Outbound

    /// The outcome of a step: items to queue, keys the hub should stop routing here, and
    /// whether the connection must now close.
    struct Step {
        var send: [Outbound] = []
        var unfollow: [RoutingKey] = []
        var close: CloseReason?
    }

    let user: String
    /// Live events a replay may hold before the client counts as too slow.
    let heldLimit: Int
    private(set) var subscriptions: [RoutingKey: Subscription] = [:]
    /// Live events held while a replay runs (nil: none runs).
    private var held: [(event: FeedEvent, key: RoutingKey)]?
    /// The keys the running replay covers: only their held events up to its end were replayed.
    /// Events of topics that were already live are held too (to keep id order) and all released.
    private var replaying: Set<RoutingKey> = []
    /// The newest id sent live: later live events must be newer.
    private(set) var lastLive: Int64 = 0
    private(set) var closeReason: CloseReason?

    init(user: String, heldLimit: Int) {
        self.user = user
        self.heldLimit = heldLimit
    }

    var isClosing: Bool { closeReason != nil }

    /// Starts following `topics`, holding every live event until ``endReplay(upTo:)``. Their
    /// authorization is still to come (``authorized(_:privateRoom:)``); nothing is sent before.
    mutating func beginReplay(_ topics: [RoutingKey: Topic]) {
        guard !isClosing else { return }
        for (key, topic) in topics { subscriptions[key] = Subscription(topic: topic, privateRoom: false, authorized: false) }
        replaying.formUnion(topics.keys)
        if held == nil { held = [] }
    }

    /// Records that the caller may read the topic, and whether it is a private room (whose
    /// subscription ends when the user leaves it).
    mutating func authorized(_ key: RoutingKey, privateRoom: Bool) {
        subscriptions[key]?.privateRoom = privateRoom
        subscriptions[key]?.authorized = true
    }

    /// Whether `key` is followed and authorized (a topic the caller was refused, or that was
    /// revoked or unsubscribed since, is not).
    func isAuthorized(_ key: RoutingKey) -> Bool { subscriptions[key]?.authorized == true }

    /// Sends, ahead of the running replay, the held events up to `mark` of the topics that were
    /// live before it: the hub chose their recipients before the new topics followed, and
    /// delivered them only meanwhile. They precede the replay's `caught_up`, as they would have
    /// had the hub been quicker.
    mutating func releaseEarlier(upTo mark: Int64) -> Step {
        guard let waiting = held else { return Step() }
        var step = Step()
        held = waiting.filter { replaying.contains($0.key) || $0.event.position > mark }
        for (event, key) in waiting where !replaying.contains(key) && event.position <= mark && !isClosing {
            send(event, via: key, into: &step)
        }
        return step
    }

    /// Ends the replay at `replayedUpTo` (the hub's position when the connection followed):
    /// releases the held events, in id order, except the replayed topics' events up to it
    /// (the replay sent those). A topic that was live before keeps every event: one the hub
    /// published before the new topics followed is at or below the mark but was never replayed.
    mutating func endReplay(upTo replayedUpTo: Int64) -> Step {
        let released = held ?? []
        let replayed = replaying
        held = nil
        replaying = []
        var step = Step()
        for (event, key) in released where !isClosing {
            if replayed.contains(key), event.position <= replayedUpTo { continue }
            send(event, via: key, into: &step)
        }
        lastLive = max(lastLive, replayedUpTo)
        return step
    }

    /// Ends a replay that failed: releases the held events of the other topics, where they were.
    mutating func abandonReplay() -> Step {
        endReplay(upTo: lastLive)
    }

    /// Stops following `keys` (an unsubscribe, or a subscription refused after following).
    mutating func remove(_ keys: [RoutingKey]) {
        for key in keys { subscriptions[key] = nil }
        held?.removeAll { keys.contains($0.key) }
    }

    /// An event the hub routed here by `key`, in id order.
    mutating func deliver(_ event: FeedEvent, via key: RoutingKey) -> Step {
        guard !isClosing, subscriptions[key] != nil else { return Step() }
        if held != nil {
            held!.append((event, key))
            return held!.count > heldLimit ? close(.tooSlow) : Step()
        }
        var step = Step()
        send(event, via: key, into: &step)
        return step
    }

    mutating func typing(topic: Topic, from sender: String, state typing: String, via key: RoutingKey) -> Step {
        guard !isClosing, isAuthorized(key) else { return Step() }
        return Step(send: [.typing(topic: topic, user: sender, state: typing)])
    }

    /// Records why the connection ends, if no reason was recorded before. Returns the step that
    /// ends it: no more items, the hub forgets every key.
    @discardableResult
    mutating func close(_ reason: CloseReason) -> Step {
        guard closeReason == nil else { return Step() }
        closeReason = reason
        let keys = Array(subscriptions.keys)
        subscriptions = [:]
        held = nil
        return Step(unfollow: keys, close: reason)
    }

    private mutating func send(_ event: FeedEvent, via key: RoutingKey, into step: inout Step) {
        guard let subscription = subscriptions[key], subscription.authorized, event.position > lastLive else { return }
        lastLive = event.position
        step.send.append(.event(topic: subscription.topic, event))
        if subscription.privateRoom, let departure = event.departure, departure.user == user {
            subscriptions[key] = nil
            held?.removeAll { $0.key == key }
            step.send.append(.revoked(subscription.topic))
            step.unfollow.append(key)
        }
    }
}
