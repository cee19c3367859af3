import NIOCore
import NIOWebSocket
import Realtime
import Synchronization

/// A WebSocket connection's live items, written straight to its channel on its event loop.
///
/// The library's writer hops onto the event loop and flushes once per frame: under fan-out,
/// that was a `writev` and several task switches per frame per connection. Here the hub's items
/// for a connection wait in a list, and one task per event loop (``LoopWrites``) writes, for
/// every connection of that loop with items waiting, all that have gathered, and flushes each
/// once. Event frames carry the payload the feed encoded once
/// (``FeedEvent/webSocketPayloads``), shared by every connection, never copied. These frames
/// are not compressed: with permessage-deflate, a frame without RSV1 is a plain frame.
///
/// The session's replies join the same list (``writeReply(_:)``), so a reply keeps its place
/// among live frames; replayed pages are written on the loop directly (``writeReplay(_:)``),
/// behind whatever the list held when they were handed over. Only the close frame goes through
/// the library's writer, which owns the closing handshake. Nothing is overtaken wrongly: live
/// events are held during a replay and released only after `caught_up` joined the list, the
/// event loop runs its tasks in order, and once the close frame has passed, nothing more is
/// written here.
///
/// Replies are written without suspending the session: an awaited write through the library
/// left each session task holding kilobytes of async stack for the life of the connection.
///
/// The backlog is bounded in bytes: what the channel holds, not yet taken by the socket, after
/// each write. Past the bound the client is too slow, and `tooSlow` runs (close 4008). What
/// waits here for the event loop is one feed page or so (the hub hands over a page at once), so
/// it is only capped far above that, against a loop that stopped running.
final class ChannelSink: LiveSink {
    private struct State {
        var pending: [WebSocketFrame] = []
        var pendingBytes = 0
        var writeScheduled = false
        var finished = false
        var finishWaiter: CheckedContinuation<Void, Never>?
        var tooSlow: (@Sendable () -> Void)?
    }

    /// Bytes that may wait for the event loop (see above).
    static let pendingCap = 64 << 20

    private let eventLoop: any EventLoop
    private let loopWrites: LoopWrites
    private let writer: NIOLoopBound<LiveFrameWriter>
    private let backlogLimit: Int
    private let state = Mutex(State())

    private init(eventLoop: any EventLoop, writer: LiveFrameWriter, backlogLimit: Int) {
        self.eventLoop = eventLoop
        loopWrites = LoopWrites.of(eventLoop)
        self.writer = NIOLoopBound(writer, eventLoop: eventLoop)
        self.backlogLimit = backlogLimit
    }

    /// Puts a writer into `channel`'s pipeline, on the tail side of the frame encoder, and
    /// returns the sink that uses it. Throws if the channel has closed already.
    static func install(on channel: any Channel, backlogLimit: Int) async throws -> ChannelSink {
        try await channel.eventLoop.submit {
            let writer = LiveFrameWriter()
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(writer, position: .after(try pipeline.handler(type: WebSocketFrameEncoder.self)))
            return ChannelSink(eventLoop: channel.eventLoop, writer: writer, backlogLimit: backlogLimit)
        }.get()
    }

    /// What runs when the client falls more than the backlog behind (once).
    func onTooSlow(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.tooSlow = action }
    }

    func enqueue(_ items: [LiveConnection.Outbound]) -> Bool {
        let frames = items.compactMap(Self.frame)
        guard !frames.isEmpty else { return true }
        return append(frames)
    }

    /// Adds `frames` to those waiting for the loop's next write pass. One list for live frames
    /// and the session's replies keeps them in the order they were handed over (a reply written
    /// on the loop apart from the list could pass live frames waiting in it, or fall behind ones
    /// added after it). False past ``pendingCap``.
    private func append(_ frames: [WebSocketFrame]) -> Bool {
        let bytes = frames.reduce(0) { $0 + $1.data.readableBytes }
        return state.withLock { state -> Bool in
            guard !state.finished else { return true }
            state.pending.append(contentsOf: frames)
            state.pendingBytes += bytes
            guard state.pendingBytes <= Self.pendingCap else { return false }
            // Scheduled under the lock, so the write pass is on the loop ahead of anything the
            // session writes once the sink has finished (its close frame above all).
            if !state.writeScheduled {
                state.writeScheduled = true
                loopWrites.add(self)
            }
            return true
        }
    }

    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.finishWaiter = nil }
            return state.finishWaiter
        }
        waiter?.resume()
    }

    /// Returns once nothing more will be queued (or the task is cancelled): the session then
    /// sends its close frame, behind every frame queued before.
    func waitUntilFinished() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.finished || Task.isCancelled { return true }
                    state.finishWaiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.finishWaiter = nil }
                return state.finishWaiter
            }
            waiter?.resume()
        }
    }

    /// Writes a page of replayed events (text payloads) with one flush, and returns once the
    /// socket has taken the page: one page in flight, so a long replay never piles up in memory
    /// however slowly the client reads. Live frames are held during a replay, so none is
    /// written in between.
    func writeReplay(_ payloads: [ByteBuffer]) async throws {
        guard !payloads.isEmpty else { return }
        let written = eventLoop.makePromise(of: Void.self)
        eventLoop.execute {
            self.writer.value.write(payloads.map { WebSocketFrame(fin: true, opcode: .text, data: $0) }, promise: written)
        }
        try await written.futureResult.get()
    }

    /// Writes one of the session's own text frames (a reply, `subscribed`, `caught_up`), in
    /// order with everything handed over before it, live frames included. A client that stops
    /// reading is held to the same backlog bound as for live frames. Dropped once the sink has
    /// finished: the close frame may be on its way, and nothing may follow it.
    func writeReply(_ text: String) {
        _ = append([WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))])
    }

    /// On the event loop: everything gathered so far, one flush.
    fileprivate func writePending() {
        let frames = state.withLock { state in
            defer {
                state.pending = []
                state.pendingBytes = 0
                state.writeScheduled = false
            }
            return state.pending
        }
        checkBacklog(writer.value.write(frames))
    }

    /// Past the backlog bound, the client is too slow: `tooSlow` runs, once.
    private func checkBacklog(_ buffered: Int) {
        guard buffered > backlogLimit else { return }
        let tooSlow = state.withLock { state in
            defer { state.tooSlow = nil }
            return state.tooSlow
        }
        tooSlow?()
    }

    private static func frame(for item: LiveConnection.Outbound) -> WebSocketFrame? {
        let payload: ByteBuffer
        switch item {
        case .event(let topic, let event): payload = event.webSocketPayload(on: topic)
        case .typing(let topic, let user, let typing): payload = ByteBuffer(string: ServerFrame.typing(topic, user: user, state: typing))
        case .revoked(let topic):
            payload = ByteBuffer(string: ServerFrame.error(
                nil, code: "forbidden", message: "no longer a member: unsubscribed from \(topic)", topics: [topic]
            ))
        case .presence(let message): payload = ByteBuffer(string: ServerFrame.presence(message))
        case .keepAlive: return nil  // WebSocket keep-alives are ping frames, sent by the library
        }
        return WebSocketFrame(fin: true, opcode: .text, data: payload)
    }
}

/// The sinks of one event loop that have frames waiting, written by one task on that loop: a
/// burst of events costs one hop per loop, not one per connection.
final class LoopWrites: Sendable {
    private let eventLoop: any EventLoop
    private let waiting = Mutex<(sinks: [ChannelSink], scheduled: Bool)>(([], false))

    private init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Event loops live as long as the process: one queue each, made on first use.
    private static let queues = Mutex<[ObjectIdentifier: LoopWrites]>([:])

    static func of(_ eventLoop: any EventLoop) -> LoopWrites {
        queues.withLock { queues in
            if let queue = queues[ObjectIdentifier(eventLoop)] { return queue }
            let queue = LoopWrites(eventLoop: eventLoop)
            queues[ObjectIdentifier(eventLoop)] = queue
            return queue
        }
    }

    /// `sink` has frames waiting (it is added once until written).
    func add(_ sink: ChannelSink) {
        let schedule = waiting.withLock { waiting in
            waiting.sinks.append(sink)
            defer { waiting.scheduled = true }
            return !waiting.scheduled
        }
        if schedule { eventLoop.execute { self.writeWaiting() } }
    }

    private func writeWaiting() {
        let sinks = waiting.withLock { waiting in
            defer { waiting = ([], false) }
            return waiting.sinks
        }
        for sink in sinks { sink.writePending() }
    }
}

/// The pipeline handler ``ChannelSink`` writes through: it sits on the tail side of the frame
/// encoder, passes the library's frames on, and notices its close frame, after which live
/// frames are dropped (a data frame after a close frame is a protocol error).
final class LiveFrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var context: ChannelHandlerContext?
    private var closeSent = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).opcode == .connectionClose { closeSent = true }
        context.write(data, promise: promise)
    }

    /// Writes `frames` and flushes once; `promise` (if any) completes when the last one is
    /// written to the socket. Returns the bytes the channel still holds for the socket (0 when
    /// nothing could be written).
    @discardableResult
    func write(_ frames: [WebSocketFrame], promise: EventLoopPromise<Void>? = nil) -> Int {
        guard let context, !closeSent, context.channel.isActive else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return 0
        }
        for (index, frame) in frames.enumerated() {
            context.write(wrapOutboundOut(frame), promise: index == frames.count - 1 ? promise : nil)
        }
        context.flush()
        return (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
    }
}
