import Synchronization

/// One client's live delivery: the topics it follows and a bounded queue of what to send it.
///
/// A topic being replayed from the store holds its live events aside (bounded too) until the
/// replay is done, then releases those past the replay's end: no gap and no duplicate at the
/// seam. A client that falls too far behind overflows and is closed (4008) to resume by id;
/// it never slows other clients or grows memory without bound.
public final class LiveConnection: Sendable {
    /// What the transport writes, in this order.
    public enum Outbound: Sendable {
        case event(topic: Topic, FeedEvent)
        case typing(topic: Topic, user: String, state: String)
        /// The topic's subscription ended (a private room the user left).
        case revoked(Topic)
        /// Nothing to say, but say it: proxies and clients learn the stream is alive.
        case keepAlive
    }

    struct Subscription {
        var topic: Topic
        var privateRoom: Bool
        /// Live events held back while the topic replays; nil once live.
        var pending: [FeedEvent]?
        /// The newest id sent on this topic: later live events must be newer.
        var lastSent: Int64
    }

    struct State {
        var subscriptions: [RoutingKey: Subscription] = [:]
        var overflowed = false
    }

    public let user: String
    public let outbound: AsyncStream<Outbound>
    private let continuation: AsyncStream<Outbound>.Continuation
    private let state = Mutex(State())
    private let pendingLimit: Int

    /// - Parameter queueLimit: items the client may fall behind before it is dropped.
    public init(user: String, queueLimit: Int = 4096) {
        self.user = user
        pendingLimit = queueLimit
        (outbound, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(queueLimit))
    }

    /// Whether the client fell too far behind (the transport closes it with 4008).
    public var overflowed: Bool { state.withLock { $0.overflowed } }

    public func finish() { continuation.finish() }

    /// Queues a keep-alive (dropped silently when the queue is full: the client is behind anyway).
    public func keepAlive() { continuation.yield(.keepAlive) }

    /// Starts following `key` for `topic`, holding live events until ``endReplay(_:replayedUpTo:)``.
    func beginReplay(_ key: RoutingKey, topic: Topic, privateRoom: Bool, lastSent: Int64) {
        state.withLock {
            $0.subscriptions[key] = Subscription(topic: topic, privateRoom: privateRoom, pending: [], lastSent: lastSent)
        }
    }

    /// Ends the replay of `key` at `replayedUpTo` and releases the live events held meanwhile.
    func endReplay(_ key: RoutingKey, replayedUpTo: Int64) {
        state.withLock { state in
            guard var subscription = state.subscriptions[key] else { return }
            subscription.lastSent = max(subscription.lastSent, replayedUpTo)
            let held = subscription.pending ?? []
            subscription.pending = nil
            state.subscriptions[key] = subscription
            for event in held { sendLive(event, via: key, state: &state) }
        }
    }

    func remove(_ key: RoutingKey) {
        _ = state.withLock { $0.subscriptions.removeValue(forKey: key) }
    }

    /// Called by the hub, in id order, for each event routed to `key`.
    func deliver(_ event: FeedEvent, via key: RoutingKey) {
        state.withLock { state in
            guard var subscription = state.subscriptions[key], !state.overflowed else { return }
            guard subscription.pending == nil else {
                subscription.pending!.append(event)
                state.subscriptions[key] = subscription
                if subscription.pending!.count > pendingLimit { Self.overflow(&state, continuation) }
                return
            }
            sendLive(event, via: key, state: &state)
        }
    }

    /// Queues one event on a live subscription, once and in order.
    private func sendLive(_ event: FeedEvent, via key: RoutingKey, state: inout State) {
        guard var subscription = state.subscriptions[key], !state.overflowed, event.position > subscription.lastSent else { return }
        guard Self.enqueue(.event(topic: subscription.topic, event), to: continuation, state: &state) else { return }
        subscription.lastSent = event.position
        state.subscriptions[key] = subscription
        // A member who leaves a private room receives their own departure, then nothing more.
        if subscription.privateRoom, let departure = event.departure, departure.user == user {
            state.subscriptions[key] = nil
            _ = Self.enqueue(.revoked(subscription.topic), to: continuation, state: &state)
        }
    }

    func deliverTyping(topic: Topic, from user: String, state typingState: String, via key: RoutingKey) {
        state.withLock { state in
            guard state.subscriptions[key] != nil, !state.overflowed else { return }
            _ = Self.enqueue(.typing(topic: topic, user: user, state: typingState), to: continuation, state: &state)
        }
    }

    /// The keys this connection follows (the hub drops them when it goes away).
    var keys: [RoutingKey] { state.withLock { Array($0.subscriptions.keys) } }

    private static func enqueue(_ item: Outbound, to continuation: AsyncStream<Outbound>.Continuation, state: inout State) -> Bool {
        switch continuation.yield(item) {
        case .enqueued: return true
        case .dropped, .terminated:
            overflow(&state, continuation)
            return false
        @unknown default: return false
        }
    }

    private static func overflow(_ state: inout State, _ continuation: AsyncStream<Outbound>.Continuation) {
        guard !state.overflowed else { return }
        state.overflowed = true
        state.subscriptions = [:]
        continuation.finish()
    }
}
