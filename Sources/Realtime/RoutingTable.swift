/// A live connection's identity in the routing table.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    let value: UInt64
    public var description: String { "connection-\(value)" }
}

/// Who follows which routing key, and how far the process has published: the hub's state as a
/// value, without locks or I/O, so every rule below is unit-tested directly.
///
/// The table knows each connection's keys itself, so forgetting a connection never depends on
/// what the connection still remembers (an overflowed or revoked connection has forgotten its
/// subscriptions; the table has not).
struct RoutingTable {
    /// The newest event id published, or nil until the process knows the log's head: a
    /// connection cannot learn where its replay ends before that, so it may not follow yet.
    private(set) var position: Int64?
    private var followers: [RoutingKey: Set<ConnectionID>] = [:]
    private var followed: [ConnectionID: Set<RoutingKey>] = [:]

    /// The process starts live delivery at the log's head; earlier events come from replays.
    mutating func start(at head: Int64) {
        position = max(position ?? head, head)
    }

    /// Adds `keys` to what `connection` follows. Returns the position up to which it must
    /// replay (every later event reaches it live), or nil before ``start(at:)``: nothing changes.
    mutating func follow(_ connection: ConnectionID, keys: [RoutingKey]) -> Int64? {
        guard let position else { return nil }
        for key in keys {
            followers[key, default: []].insert(connection)
            followed[connection, default: []].insert(key)
        }
        return position
    }

    mutating func unfollow(_ connection: ConnectionID, keys: [RoutingKey]) {
        for key in keys {
            followers[key]?.remove(connection)
            if followers[key]?.isEmpty == true { followers[key] = nil }
            followed[connection]?.remove(key)
        }
        if followed[connection]?.isEmpty == true { followed[connection] = nil }
    }

    /// Forgets `connection` everywhere.
    mutating func remove(_ connection: ConnectionID) {
        unfollow(connection, keys: Array(followed[connection] ?? []))
    }

    /// One event for one connection, by the first of the event's keys the connection follows.
    struct Delivery: Equatable {
        var connection: ConnectionID
        /// The event's index in the published batch.
        var event: Int
        var key: RoutingKey
    }

    /// Routes `events` (in id order) and moves the position past them. Each connection gets an
    /// event once, however many of its keys it follows.
    mutating func publish(_ events: [(position: Int64, keys: [RoutingKey])]) -> [Delivery] {
        var deliveries: [Delivery] = []
        for (index, event) in events.enumerated() {
            var reached: Set<ConnectionID> = []
            for key in event.keys {
                for connection in followers[key] ?? [] where reached.insert(connection).inserted {
                    deliveries.append(Delivery(connection: connection, event: index, key: key))
                }
            }
        }
        if let last = events.last?.position { position = max(position ?? last, last) }
        return deliveries
    }

    /// The connections following `key` (typing signals, which are not events).
    func followers(of key: RoutingKey) -> Set<ConnectionID> { followers[key] ?? [] }

    /// The keys `connection` follows.
    func keys(of connection: ConnectionID) -> Set<RoutingKey> { followed[connection] ?? [] }

    /// Connections that follow anything.
    var connectionCount: Int { followed.count }
}
