import Foundation
import Synchronization

/// In-process wake-up for readers of the log: "new events may exist, read them".
///
/// A ring carries no data (readers always read the rows) and rings are coalesced: a reader that
/// is busy when several rings arrive wakes once more, not once per ring. So a lost or merged ring
/// costs latency, never an event, and readers also poll as a fallback.
public final class Doorbell: Sendable {
    private struct Subscribers {
        var nextID = 0
        var continuations: [Int: AsyncStream<Void>.Continuation] = [:]
    }

    private let subscribers = Mutex(Subscribers())
    /// This process's mark on the NOTIFYs it sends, so that its listener can tell them from
    /// other processes' (its own readers were rung already, when the commit was acknowledged).
    public let origin = UUID().uuidString.lowercased()

    public init() {}

    /// A stream of wake-ups; at most one is buffered while the reader is busy.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = subscribers.withLock { subscribers in
            let id = subscribers.nextID
            subscribers.nextID += 1
            subscribers.continuations[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    /// Wakes every local reader.
    public func ring() {
        let continuations = subscribers.withLock { Array($0.continuations.values) }
        for continuation in continuations { continuation.yield() }
    }
}

/// The PostgreSQL channel on which commits are announced to other server processes.
public enum DoorbellChannel {
    public static let name = "tideline_events"
}
