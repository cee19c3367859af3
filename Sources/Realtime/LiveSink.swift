/// Where a live connection's items go: the transport's side of a ``LiveConnection``.
///
/// A sink never waits: the hub hands items to every connection from one task, so a slow client
/// must not hold the others up. A sink that cannot take more says so, and the connection
/// closes as too slow (4008), to resume by id.
public protocol LiveSink: Sendable {
    /// Queues `items` in order. False when the client is too far behind to take them.
    func enqueue(_ items: [LiveConnection.Outbound]) -> Bool
    /// Nothing more will be queued: the transport ends after what is queued.
    func finish()
}

/// A sink read as an `AsyncStream`, at most `limit` items behind (SSE streams, tests).
public final class StreamSink: LiveSink {
    public let items: AsyncStream<LiveConnection.Outbound>
    private let continuation: AsyncStream<LiveConnection.Outbound>.Continuation

    public init(limit: Int) {
        (items, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(limit))
    }

    public func enqueue(_ items: [LiveConnection.Outbound]) -> Bool {
        for item in items {
            guard case .enqueued = continuation.yield(item) else { return false }
        }
        return true
    }

    public func finish() { continuation.finish() }
}
