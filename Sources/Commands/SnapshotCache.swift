import Synchronization

/// The process's copies of recently used aggregates: each stream's version and folded state, so
/// that deciding a command needs no read from the database.
///
/// A copy may be stale when another process wrote the stream; the append's version check finds
/// that out and the executor reloads. At most `capacity` streams are kept: when it is exceeded,
/// the least recently used quarter is dropped (the next command on those streams reads them again).
final class SnapshotCache: Sendable {
    struct Entry {
        var version: Int64
        /// The aggregate's state (`State?` of the aggregate that owns the stream's category).
        var state: any Sendable
        var lastUse: UInt64
    }

    private struct Table {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    private let table = Mutex(Table())
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "the snapshot cache needs room for at least one stream")
        self.capacity = capacity
    }

    /// The cached version and state of `stream`, if any and if it is of type `State?`.
    func get<State: Sendable>(_ stream: String, as type: State.Type) -> (version: Int64, state: State?)? {
        table.withLock { table in
            guard var entry = table.entries[stream], let state = entry.state as? State? else { return nil }
            table.clock += 1
            entry.lastUse = table.clock
            table.entries[stream] = entry
            return (entry.version, state)
        }
    }

    func store<State: Sendable>(_ stream: String, version: Int64, state: State?) {
        table.withLock { table in
            table.clock += 1
            table.entries[stream] = Entry(version: version, state: state, lastUse: table.clock)
            guard table.entries.count > capacity else { return }
            let oldest = table.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 4))
            for (name, _) in oldest { table.entries[name] = nil }
        }
    }

    func remove(_ stream: String) {
        _ = table.withLock { $0.entries.removeValue(forKey: stream) }
    }

    var count: Int { table.withLock { $0.entries.count } }
}
