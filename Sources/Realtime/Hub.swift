import Synchronization

/// Routes each event of the log, once per process, to the connections that follow its topic.
///
/// The hub's `position` is the newest event it has published. A connection registering for a
/// topic learns that position atomically with its registration: every event up to it must come
/// from a replay of the store, every later one arrives live.
public final class Hub: Sendable {
    struct State {
        var position: Int64 = 0
        var connections: [RoutingKey: [ObjectIdentifier: LiveConnection]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The newest event id published to live subscribers.
    public var position: Int64 { state.withLock { $0.position } }

    /// Starts where the log is when the process starts: earlier events are served by replay.
    public func start(at position: Int64) {
        state.withLock { $0.position = max($0.position, position) }
    }

    /// Registers `connection` for `keys` and returns the position up to which it must replay.
    func register(_ connection: LiveConnection, for keys: [RoutingKey]) -> Int64 {
        state.withLock { state in
            for key in keys { state.connections[key, default: [:]][ObjectIdentifier(connection)] = connection }
            return state.position
        }
    }

    func unregister(_ connection: LiveConnection, from key: RoutingKey) {
        state.withLock { state in
            state.connections[key]?[ObjectIdentifier(connection)] = nil
            if state.connections[key]?.isEmpty == true { state.connections[key] = nil }
        }
    }

    /// Forgets a closed connection everywhere.
    public func disconnect(_ connection: LiveConnection) {
        for key in connection.keys { unregister(connection, from: key) }
        connection.finish()
    }

    /// Publishes events in id order. Called from one task: the process's feed.
    public func publish(_ events: [FeedEvent]) {
        guard let last = events.last else { return }
        // Recipients are chosen under the lock, with the new position, so a connection that
        // registers meanwhile either receives an event live or replays it, never both or neither.
        let deliveries = state.withLock { state -> [(FeedEvent, RoutingKey, [LiveConnection])] in
            var deliveries: [(FeedEvent, RoutingKey, [LiveConnection])] = []
            for event in events {
                for key in event.keys {
                    if let connections = state.connections[key] { deliveries.append((event, key, Array(connections.values))) }
                }
            }
            state.position = max(state.position, last.position)
            return deliveries
        }
        for (event, key, connections) in deliveries {
            for connection in connections { connection.deliver(event, via: key) }
        }
    }

    /// Relays a typing signal to the room's live subscribers (typing is never stored or replayed).
    public func publishTyping(room: String, user: String, state typingState: String) {
        let key = RoutingKey.room(room)
        let connections = state.withLock { Array(($0.connections[key] ?? [:]).values) }
        for connection in connections {
            connection.deliverTyping(topic: .room(room), from: user, state: typingState, via: key)
        }
    }
}
