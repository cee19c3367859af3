import Synchronization

/// The baseline hub's whole state: an event counter and, per room, a version and the
/// subscribers to fan out to. In memory, behind one lock, with no database.
final class BroadcastTable: Sendable {
    /// One WebSocket connection's bounded outbox of frames, drained by its writer.
    final class Subscriber: Sendable {
        let outbox: AsyncStream<String>
        fileprivate let continuation: AsyncStream<String>.Continuation

        /// Like Tideline's per-connection queue: a client that falls `limit` frames behind is
        /// dropped rather than allowed to grow memory.
        init(limit: Int = 4096) {
            (outbox, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(limit))
        }

        /// Queues a frame that is not an event (replies to the client's frames).
        func send(_ frame: String) { _ = continuation.yield(frame) }

        func finish() { continuation.finish() }
    }

    private struct Room {
        var version: Int64 = 0
        var subscribers: [ObjectIdentifier: Subscriber] = [:]
    }

    private struct State {
        var lastID: Int64 = 0
        var rooms: [String: Room] = [:]
    }

    private let state = Mutex(State())

    /// Records a room event (creation, a join) that nobody is sent; returns its id.
    func append(to room: String) -> Int64 {
        state.withLock { state in
            state.lastID += 1
            state.rooms[room, default: Room()].version += 1
            return state.lastID
        }
    }

    /// Assigns the next id and room version, builds the frame with them and queues it to every
    /// subscriber of `room`; returns the id.
    ///
    /// Queuing happens under the lock so that every subscriber sees ids in increasing order, as
    /// Tideline guarantees; a yield onto a bounded AsyncStream is cheap enough for that.
    func publish(to room: String, frame: (_ id: Int64, _ version: Int64) -> String) -> Int64 {
        state.withLock { state in
            state.lastID += 1
            state.rooms[room, default: Room()].version += 1
            let text = frame(state.lastID, state.rooms[room]!.version)
            for (key, subscriber) in state.rooms[room]!.subscribers {
                if case .dropped = subscriber.continuation.yield(text) {
                    // Too slow: end its outbox (its writer closes the socket), as Tideline's 4008.
                    subscriber.continuation.finish()
                    state.rooms[room]!.subscribers[key] = nil
                }
            }
            return state.lastID
        }
    }

    /// Registers `subscriber` for `rooms` and queues `caught_up` in the same critical section, so
    /// every later event comes after it.
    func subscribe(_ subscriber: Subscriber, to rooms: [String], caughtUp: (_ lastID: Int64) -> String) {
        state.withLock { state in
            for room in rooms { state.rooms[room, default: Room()].subscribers[ObjectIdentifier(subscriber)] = subscriber }
            _ = subscriber.continuation.yield(caughtUp(state.lastID))
        }
    }

    func remove(_ subscriber: Subscriber) {
        state.withLock { state in
            for room in state.rooms.keys { state.rooms[room]!.subscribers[ObjectIdentifier(subscriber)] = nil }
        }
        subscriber.finish()
    }
}
