import Synchronization

/// One client's live delivery: a ``DeliveryState`` behind a lock, and the ``LiveSink`` its
/// transport (WebSocket or SSE) takes items from. Every decision is the state's; this shell
/// hands the sink what a step says to send and reports which keys the hub should stop routing
/// here.
///
/// Created and forgotten by the ``Hub`` (``Hub/connect(user:sink:heldLimit:)``,
/// ``Hub/disconnect(_:)``), which keeps its routing in step with what the state decides.
public final class LiveConnection: Sendable {
    /// What the transport writes, in this order.
    public enum Outbound: Sendable {
        case event(topic: Topic, FeedEvent)
        case typing(topic: Topic, user: String, state: String)
        /// The topic's subscription ended (a private room the user left).
        case revoked(Topic)
        /// Who is online in a room (contract section 9).
        case presence(PresenceMessage)
        /// Nothing to say, but say it: proxies and clients learn the stream is alive.
        case keepAlive
    }

    public let id: ConnectionID
    public let user: String
    private let sink: any LiveSink
    private let state: Mutex<DeliveryState>

    /// - Parameter heldLimit: live events a replay may hold back before the client counts as
    ///   too slow (the sink bounds what is queued after that).
    init(id: ConnectionID, user: String, sink: any LiveSink, heldLimit: Int) {
        self.id = id
        self.user = user
        self.sink = sink
        state = Mutex(DeliveryState(user: user, heldLimit: heldLimit))
    }

    /// Why the connection ends, once a reason is known; the transport closes with it.
    public var closeReason: CloseReason? { state.withLock { $0.closeReason } }

    /// Ends the connection for `reason`, unless it is already ending for another one: the
    /// queue finishes after what it holds, and the transport closes with the first reason.
    /// Returns the keys the hub should stop routing here.
    @discardableResult
    public func close(_ reason: CloseReason) -> [RoutingKey] {
        state.withLock { carryOut($0.close(reason), state: &$0) }
    }

    /// Queues a keep-alive (dropped silently when the queue is full: the client is behind anyway).
    public func keepAlive() {
        state.withLock { state in
            guard !state.isClosing else { return }
            _ = sink.enqueue([.keepAlive])
        }
    }

    func beginReplay(_ topics: [RoutingKey: Topic]) {
        state.withLock { $0.beginReplay(topics) }
    }

    func authorized(_ key: RoutingKey, privateRoom: Bool) {
        state.withLock { $0.authorized(key, privateRoom: privateRoom) }
    }

    /// Whether `key` is followed and authorized here (a replay skips the topics that are not).
    func isAuthorized(_ key: RoutingKey) -> Bool {
        state.withLock { $0.isAuthorized(key) }
    }

    func releaseEarlier(upTo position: Int64) -> [RoutingKey] {
        state.withLock { carryOut($0.releaseEarlier(upTo: position), state: &$0) }
    }

    func endReplay(upTo position: Int64) -> [RoutingKey] {
        state.withLock { carryOut($0.endReplay(upTo: position), state: &$0) }
    }

    func abandonReplay() -> [RoutingKey] {
        state.withLock { carryOut($0.abandonReplay(), state: &$0) }
    }

    func remove(_ keys: [RoutingKey]) {
        state.withLock { $0.remove(keys) }
    }

    /// Called by the hub, in id order, for each event routed here.
    func deliver(_ event: FeedEvent, via key: RoutingKey) -> [RoutingKey] {
        state.withLock { carryOut($0.deliver(event, via: key), state: &$0) }
    }

    func deliverTyping(topic: Topic, from user: String, state typing: String, via key: RoutingKey) -> [RoutingKey] {
        state.withLock { carryOut($0.typing(topic: topic, from: user, state: typing, via: key), state: &$0) }
    }

    /// Queues a presence frame, unless the connection is ending.
    func deliverPresence(_ message: PresenceMessage) -> [RoutingKey] {
        state.withLock { carryOut(DeliveryState.Step(send: $0.isClosing ? [] : [.presence(message)]), state: &$0) }
    }

    /// Hands the sink the step's items in order; a sink that cannot take them closes the
    /// connection as too slow.
    private func carryOut(_ step: DeliveryState.Step, state: inout DeliveryState) -> [RoutingKey] {
        var unfollow = step.unfollow
        if !step.send.isEmpty, !sink.enqueue(step.send) {
            unfollow += state.close(.tooSlow).unfollow
            sink.finish()
            return unfollow
        }
        if step.close != nil { sink.finish() }
        return unfollow
    }
}
