import Metrics
import Synchronization

/// Routes each event of the log, once per process, to the connections that follow its topic.
///
/// The rules live in ``RoutingTable`` (who follows what, how far the process has published)
/// and each connection's ``DeliveryState``; the hub holds the table behind a lock, the open
/// connections by id, and carries out what they decide. A connection following a topic learns
/// the hub's position atomically with the following: every event up to it must come from a
/// replay of the store, every later one arrives live.
public final class Hub: Sendable {
    struct State {
        var table = RoutingTable()
        var presence = PresenceRoster()
        var connections: [ConnectionID: LiveConnection] = [:]
        var nextID: UInt64 = 0
        /// The newest event id every recipient has been handed (nil before ``start(at:)``): the
        /// hub chooses recipients under its lock but delivers outside it, so this trails
        /// ``RoutingTable/position`` while a batch is on its way.
        var delivered: Int64?
        /// Tasks waiting for ``delivered`` to reach a position, by a number of their own; the
        /// continuation is nil until the task suspends. A waiter missing here is done waiting.
        var waiters: [UInt64: (position: Int64, continuation: CheckedContinuation<Void, Never>?)] = [:]

        func hasDelivered(through position: Int64) -> Bool { delivered.map { $0 >= position } ?? false }

        /// Takes the waiters whose position has been delivered.
        mutating func readyWaiters() -> [CheckedContinuation<Void, Never>] {
            let ready = waiters.filter { hasDelivered(through: $0.value.position) }
            for id in ready.keys { waiters[id] = nil }
            return ready.values.compactMap(\.continuation)
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// The newest event id published to live subscribers (0 before the process knows the head).
    public var position: Int64 { state.withLock { $0.table.position ?? 0 } }

    /// Open connections (followers or not).
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Connections the routing table still routes to.
    var routedConnectionCount: Int { state.withLock { $0.table.connectionCount } }

    /// Tasks waiting for the hub to start or to deliver up to a position (tests watch it).
    var waiterCount: Int { state.withLock { $0.waiters.count } }

    /// Starts where the log is when the process starts: earlier events are served by replay.
    /// Connections waiting to follow go on.
    public func start(at position: Int64) {
        let ready = state.withLock { state in
            state.table.start(at: position)
            state.delivered = max(state.delivered ?? position, position)
            return state.readyWaiters()
        }
        for waiter in ready { waiter.resume() }
    }

    /// Whether every event up to `position` has been handed to the connections it was routed to.
    public func hasDelivered(through position: Int64) -> Bool {
        state.withLock { $0.hasDelivered(through: position) }
    }

    /// A new connection for `user` whose items go to `sink`, known to the hub until
    /// ``disconnect(_:)``. `heldLimit`: live events a replay may hold back.
    public func connect(user: String, sink: any LiveSink, heldLimit: Int = 4096) -> LiveConnection {
        state.withLock { state in
            state.nextID += 1
            let connection = LiveConnection(id: ConnectionID(value: state.nextID), user: user, sink: sink, heldLimit: heldLimit)
            state.connections[connection.id] = connection
            Self.openConnections.record(state.connections.count)
            return connection
        }
    }

    /// `tideline_live_connections`: open WebSockets and SSE streams of this process.
    static let openConnections = Gauge(label: "tideline_live_connections")

    /// Ends a connection for `reason` (unless it is already ending) and stops routing to it:
    /// what a transport does when it finds the client too slow.
    public func close(_ connection: LiveConnection, _ reason: CloseReason) {
        let keys = connection.close(reason)
        if !keys.isEmpty { unfollow(connection, keys: keys) }
    }

    /// Forgets a connection everywhere, whatever it still remembers, and ends its queue.
    public func disconnect(_ connection: LiveConnection) {
        state.withLock { state in
            state.table.remove(connection.id)
            state.presence.disconnect(connection.id)
            state.connections[connection.id] = nil
            Self.openConnections.record(state.connections.count)
        }
        connection.close(.normal)
        // Why it ended: the first reason wins (a client that left after a 4008 counts as too slow).
        Counter(label: "tideline_live_disconnects_total", dimensions: [("reason", (connection.closeReason ?? .normal).metricName)]).increment()
    }

    /// Routes `keys` to `connection` and returns the position up to which it must replay.
    /// Before the process knows the log's head, waits for it (a position of 0 would make a
    /// client that resumes from an id skip everything after it).
    func follow(_ connection: LiveConnection, keys: [RoutingKey]) async throws -> Int64 {
        while true {
            try Task.checkCancellation()
            let position = state.withLock { state -> Int64? in
                guard state.connections[connection.id] != nil else { return nil }
                return state.table.follow(connection.id, keys: keys)
            }
            if let position { return position }
            guard state.withLock({ $0.connections[connection.id] != nil }) else { throw CancellationError() }
            _ = await waitUntilDelivered(through: .min)
        }
    }

    func unfollow(_ connection: LiveConnection, keys: [RoutingKey]) {
        state.withLock { Self.unfollow(connection.id, keys: keys, in: &$0) }
    }

    /// Routing and presence end together: a user counts in a room only while a connection of
    /// theirs receives it.
    private static func unfollow(_ connection: ConnectionID, keys: [RoutingKey], in state: inout State) {
        state.table.unfollow(connection, keys: keys)
        for case .room(let id) in keys { state.presence.leave(connection, room: id) }
    }

    /// Publishes events in id order. Called from one task: the process's feed.
    public func publish(_ events: [FeedEvent]) {
        guard !events.isEmpty else { return }
        // Recipients are chosen under the lock, with the new position, so a connection that
        // follows meanwhile either receives an event live or replays it, never both or neither.
        let deliveries = state.withLock { state in
            state.table.publish(events.map { ($0.position, $0.keys) }).compactMap { delivery in
                state.connections[delivery.connection].map { ($0, delivery) }
            }
        }
        var unfollow: [(LiveConnection, [RoutingKey])] = []
        for (connection, delivery) in deliveries {
            let keys = connection.deliver(events[delivery.event], via: delivery.key)
            if !keys.isEmpty { unfollow.append((connection, keys)) }
        }
        forget(unfollow)
        let ready = state.withLock { state in
            state.delivered = max(state.delivered ?? 0, events[events.count - 1].position)
            return state.readyWaiters()
        }
        for waiter in ready { waiter.resume() }
        // Once per batch, not per delivery: the fan-out path stays free of shared counters.
        if !deliveries.isEmpty { Self.deliveries.increment(by: deliveries.count) }
    }

    /// `tideline_deliveries_total`: live events handed to connections (each event once per
    /// connection that receives it; replays are counted in `tideline_replay_events_total`).
    static let deliveries = Counter(label: "tideline_deliveries_total")

    /// Relays a typing signal to the room's live subscribers (typing is never stored or replayed).
    public func publishTyping(room: String, user: String, state typingState: String) {
        let key = RoutingKey.room(room)
        let connections = state.withLock { state in state.table.followers(of: key).compactMap { state.connections[$0] } }
        var unfollow: [(LiveConnection, [RoutingKey])] = []
        for connection in connections {
            let keys = connection.deliverTyping(topic: .room(room), from: user, state: typingState, via: key)
            if !keys.isEmpty { unfollow.append((connection, keys)) }
        }
        forget(unfollow)
    }

    /// Stops routing what connections said they no longer follow (revoked, or closed as too slow).
    private func forget(_ unfollow: [(LiveConnection, [RoutingKey])]) {
        guard !unfollow.isEmpty else { return }
        state.withLock { state in
            for (connection, keys) in unfollow { Self.unfollow(connection.id, keys: keys, in: &state) }
        }
    }

    // MARK: Presence (contract section 9; see ``PresenceRoster`` and ``PresenceService``)

    /// Counts `connection` present in the rooms among `keys` it still follows: called once its
    /// subscription has caught up. It is sent the room's list at the next flush.
    func markPresent(_ connection: LiveConnection, keys: [RoutingKey]) {
        state.withLock { state in
            let followed = state.table.keys(of: connection.id)
            for case .room(let id) in keys where followed.contains(.room(id)) {
                state.presence.join(connection.id, user: connection.user, room: id)
            }
        }
    }

    /// Reads and changes the roster under the hub's lock.
    func withPresence<Result>(_ body: (inout PresenceRoster) -> Result) -> Result {
        state.withLock { body(&$0.presence) }
    }

    /// Sends what the roster has to say since the last flush.
    func flushPresence() {
        let sends = state.withLock { state in
            state.presence.flush().compactMap { send in state.connections[send.connection].map { ($0, send.message) } }
        }
        var unfollow: [(LiveConnection, [RoutingKey])] = []
        for (connection, message) in sends {
            let keys = connection.deliverPresence(message)
            if !keys.isEmpty { unfollow.append((connection, keys)) }
        }
        forget(unfollow)
    }

    /// Waits until the hub has started and handed every event up to `position` to its
    /// recipients, at most `timeout` (nil: as long as it takes), or until the task is cancelled.
    /// - Returns: whether it has.
    func waitUntilDelivered(through position: Int64, timeout: Duration? = nil) async -> Bool {
        let waiter = state.withLock { state -> UInt64? in
            guard !state.hasDelivered(through: position) else { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = (position, nil)
            return state.nextID
        }
        guard let waiter else { return true }
        guard let timeout else {
            await wait(waiter)
            return hasDelivered(through: position)
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait(waiter) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.abandon(waiter)
            }
            await group.next()
            group.cancelAll()
        }
        return hasDelivered(through: position)
    }

    private func wait(_ waiter: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { state -> Bool in
                    guard state.waiters[waiter] != nil else { return false }
                    state.waiters[waiter]?.continuation = continuation
                    return true
                }
                if !waiting { continuation.resume() }
            }
        } onCancel: {
            abandon(waiter)
        }
    }

    /// Ends a wait early (cancelled, or out of time), whether or not it has suspended yet.
    private func abandon(_ waiter: UInt64) {
        let continuation = state.withLock { $0.waiters.removeValue(forKey: waiter)?.continuation }
        continuation?.resume()
    }
}
