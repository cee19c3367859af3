import Synchronization

/// One client's live delivery: a ``DeliveryState`` behind a lock, and the bounded queue its
/// transport (WebSocket or SSE) writes from. Every decision is the state's; this shell queues
/// what a step says to send and reports which keys the hub should stop routing here.
///
/// Created and forgotten by the ``Hub`` (``Hub/connect(user:queueLimit:)``,
/// ``Hub/disconnect(_:)``), which keeps its routing in step with what the state decides.
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

    public let id: ConnectionID
    public let user: String
    public let outbound: AsyncStream<Outbound>
    private let continuation: AsyncStream<Outbound>.Continuation
    private let state: Mutex<DeliveryState>

    /// - Parameter queueLimit: items the client may fall behind, queued or held during a
    ///   replay, before it is closed as too slow.
    init(id: ConnectionID, user: String, queueLimit: Int) {
        self.id = id
        self.user = user
        state = Mutex(DeliveryState(user: user, heldLimit: queueLimit))
        (outbound, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(queueLimit))
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
            continuation.yield(.keepAlive)
        }
    }

    func beginReplay(_ topics: [RoutingKey: Topic]) {
        state.withLock { $0.beginReplay(topics) }
    }

    func authorized(_ key: RoutingKey, privateRoom: Bool) {
        state.withLock { $0.authorized(key, privateRoom: privateRoom) }
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

    /// Queues the step's items in order; a full queue closes the connection as too slow.
    private func carryOut(_ step: DeliveryState.Step, state: inout DeliveryState) -> [RoutingKey] {
        var unfollow = step.unfollow
        for item in step.send {
            if case .enqueued = continuation.yield(item) { continue }
            unfollow += state.close(.tooSlow).unfollow
            continuation.finish()
            return unfollow
        }
        if step.close != nil { continuation.finish() }
        return unfollow
    }
}
