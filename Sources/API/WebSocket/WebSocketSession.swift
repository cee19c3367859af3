import Domain
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Realtime
import ServiceLifecycle
import Synchronization

/// One WebSocket connection (contract section 6): a reader of client frames, live events written
/// straight to the channel (``ChannelSink``), the close frame once the connection ends, and a
/// watch on the token's expiry.
struct WebSocketSession: Sendable {
    let routes: RouteContext
    let live: LiveSubscriptions
    let hub: Hub
    let tokens: TokenService
    let commandLimiter: CommandRateLimiter
    /// Live events a replay may hold back, and the WebSocket backlog in KiB, before a client
    /// counts as too slow (4008).
    let queueLimit: Int
    /// Frames per second per connection before `rate_limited` errors (contract: 50).
    let frameRate: Double
    /// Largest client frame, after decompression (contract: 64 KiB; 1009 beyond).
    let maxFrameBytes: Int
    /// Topics one connection may hold (contract: 100).
    let maxTopics: Int
    /// Where shutdown finds this session to close it with 1001.
    let sessions: WebSocketSessions
    /// How long a client has to read the close frame (and what is queued before it) and answer it.
    var closeGrace: Duration = .seconds(5)

    /// The concurrent parts of a session, named so the session knows which one ended.
    private enum Part { case writer, reader, subscriptions, closeGrace }
    /// Subscribe and unsubscribe frames that may wait behind a running replay.
    static let maxQueuedSubscriptionRequests = 64

    /// What the session knows and may change while it runs. Why it closes is the connection's
    /// (``LiveConnection/closeReason``): one place, one rule (the first reason wins).
    private final class State: Sendable {
        struct Values {
            var caller: Caller
            var grants: [Topic: LiveSubscriptions.Grant] = [:]
        }

        let values: Mutex<Values>
        /// Where live frames and replay pages go.
        let sink: ChannelSink
        init(_ caller: Caller, sink: ChannelSink) {
            values = Mutex(Values(caller: caller))
            self.sink = sink
        }
    }

    func run(caller: Caller, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, logger: Logger) async {
        guard let sink = try? await ChannelSink.install(on: channel, backlogLimit: queueLimit * 1024) else { return }  // closed already
        let connection = hub.connect(user: caller.user, sink: sink, heldLimit: queueLimit)
        sink.onTooSlow { [hub] in hub.close(connection, .tooSlow) }
        let state = State(caller, sink: sink)
        let goingAway: @Sendable () -> Void = { connection.close(.goingAway) }
        let registration = sessions.add(closeGoingAway: goingAway)
        defer { sessions.remove(registration) }
        let expiry = ExpiryTimer(eventLoop: channel.eventLoop, expiresAt: { state.values.withLock { $0.caller.expiresAt } }) {
            connection.close(.tokenExpired)
        }
        defer { expiry.cancel() }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Part.self) { group in
                // Subscribing may replay a long history. It runs beside the reader, one request at a
                // time in arrival order, so the reader keeps taking frames meanwhile: pongs above all,
                // or the 40 s ping watchdog would drop a client in the middle of its replay.
                let (subscriptionRequests, subscriptionQueue) = AsyncStream.makeStream(
                    of: ClientFrame.self, bufferingPolicy: .bufferingOldest(Self.maxQueuedSubscriptionRequests)
                )
                group.addTask {
                    for await frame in subscriptionRequests {
                        // Each request in a task of its own, so that this loop, waiting for the
                        // life of the connection, stays shallow (see `inShortLivedTask`).
                        _ = try? await inShortLivedTask { await handleReportingErrors(frame, connection: connection, state: state, logger: logger) }
                    }
                    return .subscriptions
                }
                group.addTask {
                    defer { subscriptionQueue.finish() }
                    do {
                        try await readFrames(
                            inbound, connection: connection, state: state, subscriptionQueue: subscriptionQueue, logger: logger
                        )
                    } catch {
                        logger.debug("websocket reader ended", metadata: ["error": "\(error)"])
                        if let code = Self.libraryCloseCode(for: error) {
                            connection.close(code == 1009 ? .messageTooBig : .protocolError(code: code))
                        }
                    }
                    connection.close(.normal)
                    return .reader
                }
                // The connection ends when the client leaves or breaks a rule (4029, 1009), or when
                // the server ends it (too slow, token expired, revoked, shutting down). Only then
                // does a task send the close frame: an idle connection holds no task for it.
                await sink.waitUntilFinished()
                group.addTask { await sendCloseFrame(connection, outbound: outbound); return .writer }
                // Once the writer has handed over its close frame, that frame may still wait behind
                // a slow client's backlog: cancelling the reader now would close the socket and drop
                // both, so the client gets `closeGrace` to read them and answer the close (which
                // ends the reader). When the reader ended first (the client left, or broke a rule),
                // the writer still sends the close frame: cancelling it at once would drop that
                // frame, so it gets the same grace.
                var oneEnded = false
                while let part = await group.next(), part != .closeGrace {
                    guard part == .reader || part == .writer else { continue }
                    if oneEnded { break }
                    oneEnded = true
                    group.addTask { try? await Task.sleep(for: closeGrace); return .closeGrace }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            goingAway()
        }
        hub.disconnect(connection)
    }

    /// Sends the close frame with the reason the connection ended, behind every frame queued
    /// before.
    private func sendCloseFrame(_ connection: LiveConnection, outbound: WebSocketOutboundWriter) async {
        let reason = connection.closeReason ?? .normal
        // The peer may be gone; there is nothing to close then.
        try? await outbound.close(WebSocketErrorCode(codeNumber: reason.code), reason: reason.text)
    }

    /// The close code the WebSocket library gives a client's protocol error (1009 for a message
    /// over the size limit, 1002, 1007). The session catches the error, so it must send the code
    /// itself; the library's error type is not public, hence reading its `close(code)` case by
    /// reflection. Nil for any other error (the peer left): the close is then a plain 1000.
    static func libraryCloseCode(for error: any Error) -> Int? {
        guard let close = Mirror(reflecting: error).children.first(where: { $0.label == "close" }),
              let code = close.value as? WebSocketErrorCode else { return nil }
        return Int(UInt16(webSocketErrorCode: code))
    }

    private func readFrames(
        _ inbound: WebSocketInboundStream, connection: LiveConnection, state: State,
        subscriptionQueue: AsyncStream<ClientFrame>.Continuation, logger: Logger
    ) async throws {
        let frameLimiter = CommandRateLimiter(rate: frameRate, burst: frameRate, limit: "websocket_frames")
        var limitedInARow = 0
        for try await message in inbound.messages(maxSize: maxFrameBytes) {
            // The library measures fragmented messages and raw frames exactly, but an inflated
            // compressed frame only roughly: the exact 64 KiB limit is checked here.
            guard message.payloadBytes <= maxFrameBytes else {
                connection.close(.messageTooBig)
                return
            }
            if frameLimiter.acquire(for: "frames") != nil {
                limitedInARow += 1
                // A client that keeps going after a second of refusals is abusing the limit.
                if limitedInARow > Int(frameRate) {
                    connection.close(.frameRateAbused)
                    return
                }
                state.sink.writeReply(ServerFrame.error(nil, code: "rate_limited", message: "more than \(Int(frameRate)) frames per second"))
                continue
            }
            limitedInARow = 0
            guard case .text(let text) = message else {
                state.sink.writeReply(ServerFrame.error(nil, code: "malformed_request", message: "frames are JSON text, not binary"))
                continue
            }
            let frame: ClientFrame
            do {
                frame = try ClientFrame.parse(text)
            } catch {
                state.sink.writeReply(ServerFrame.error(error.ref, code: error.code, message: error.message))
                continue
            }
            switch frame {
            case .subscribe, .unsubscribe:
                if case .dropped = subscriptionQueue.yield(frame) {
                    state.sink.writeReply(ServerFrame.error(
                        frame.ref, code: "rate_limited", message: "too many subscription requests waiting for a replay to finish"
                    ))
                }
            default:
                await handleReportingErrors(frame, connection: connection, state: state, logger: logger)
            }
        }
    }

    /// Handles one frame; a refusal becomes an `error` frame and the connection stays open.
    private func handleReportingErrors(_ frame: ClientFrame, connection: LiveConnection, state: State, logger: Logger) async {
        do {
            try await handle(frame, connection: connection, state: state)
        } catch {
            let problem = ProblemMiddleware<TidelineRequestContext>.apiError(for: error, logger: logger)
            state.sink.writeReply(ServerFrame.error(frame.ref, code: problem.code, message: problem.detail))
        }
    }

    private func handle(_ frame: ClientFrame, connection: LiveConnection, state: State) async throws {
        let caller = state.values.withLock { $0.caller }
        switch frame {
        case .subscribe(let ref, let topics, let since):
            let existing = state.values.withLock { Set($0.grants.keys) }
            guard existing.union(topics).count <= maxTopics else {
                throw APIError.validation(field: "topics", "at most \(maxTopics) topics per connection")
            }
            // Subscribing again to a topic starts it afresh from the new `since`.
            let again = state.values.withLock { values in topics.compactMap { values.grants.removeValue(forKey: $0) } }
            live.unsubscribe(connection, from: again)
            do {
                _ = try await live.subscribe(
                    connection, to: topics, user: caller.user, isStaff: caller.isStaff, since: since,
                    record: { grants in Self.record(grants, in: state) },
                    granted: { authorization in
                        state.sink.writeReply(ServerFrame.subscribed(ref, authorization.grants.map(\.topic), refused: authorization.refused))
                    },
                    replay: { page in
                        try await state.sink.writeReplay(page.map {
                            ByteBuffer(string: FeedEvent.webSocketFrame(topic: $0.topic, envelopeJSON: $0.event.envelopeJSON))
                        })
                    },
                    caughtUp: { highWater in
                        // Written before the held live events are released: they follow it.
                        state.sink.writeReply(ServerFrame.caughtUp(ref, eventID: highWater))
                    }
                )
            } catch {
                // Nothing of this subscribe stays recorded (a topic granted, then a replay that failed).
                state.values.withLock { values in for topic in topics { values.grants[topic] = nil } }
                guard let refusal = error as? LiveSubscriptions.SubscribeError else { throw error }
                let problem = refusal.apiError(sinceField: "since")
                state.sink.writeReply(ServerFrame.error(ref, code: problem.code, message: refusal.detail, topics: topics, retryAfter: problem.retryAfter))
            }
        case .unsubscribe(let ref, let topics):
            let grants = state.values.withLock { values in topics.compactMap { values.grants.removeValue(forKey: $0) } }
            live.unsubscribe(connection, from: grants)
            state.sink.writeReply(ServerFrame.unsubscribed(ref, topics))
        case .post(let ref, let room, let body):
            if let retryAfter = commandLimiter.acquire(for: caller.user) { throw APIError.rateLimited(retryAfter: retryAfter) }
            let command = try PostMessage(body: body)
            let idempotency = CommandRunner.Idempotency(
                key: nil, command: "POST /v1/rooms/\(room)/messages", body: body,
                clientMessageScope: command.clientMsgId.map { "client_msg:\(room):\($0)" }
            )
            let reply = try await routes.postMessage(command, in: room, by: caller, idempotency: idempotency)
            let answer = try JSONDecoder().decode(MessageAnswer.self, from: Data(reply.json.utf8))
            state.sink.writeReply(ServerFrame.ack(
                ref, extra: #","event_id":\#(jsonString(answer.event_id)),"message_id":\#(jsonString(answer.message_id))"#
            ))
        case .typing(_, let room, let started):
            if let retryAfter = commandLimiter.acquire(for: caller.user) { throw APIError.rateLimited(retryAfter: retryAfter) }
            try Room.checkTyping(roomId: room, actor: caller.user, state: try await routes.state(RoomState.self, stream: StreamName.room(room)))
            await routes.typing.signal(room: room, user: caller.user, started: started)
        case .auth(let ref, let token):
            guard let renewed = await tokens.verify(token) else { throw APIError.unauthorized("the token is malformed, wrongly signed or expired") }
            guard renewed.user == caller.user else { throw APIError.forbidden("the token is for another user") }
            // A token with fewer rights keeps only what it may hold: a topic subscribed with
            // staff's scope (every customer's orders) is dropped, with an error saying so.
            let dropped = state.values.withLock { values -> [LiveSubscriptions.Grant] in
                values.caller = renewed
                guard !renewed.isStaff else { return [] }
                let lost = values.grants.values.filter(\.requiresStaff)
                for grant in lost { values.grants[grant.topic] = nil }
                return lost
            }
            live.unsubscribe(connection, from: dropped)
            for grant in dropped {
                state.sink.writeReply(ServerFrame.error(
                    nil, code: "forbidden", message: "the new token is not staff's: unsubscribed from \(grant.topic)", topics: [grant.topic]
                ))
            }
            state.sink.writeReply(ServerFrame.ack(ref))
        case .ping(let ref):
            state.sink.writeReply(ServerFrame.pong(ref))
        }
    }

    /// Keeps a subscribe's grants, checked against the caller as it is now: an `auth` frame
    /// with fewer rights may have arrived while the subscribe was authorized with the old ones,
    /// and it could not drop a grant that was not recorded yet.
    private static func record(_ grants: [LiveSubscriptions.Grant], in state: State) -> [LiveSubscriptions.RefusedTopic] {
        state.values.withLock { values in
            var refused: [LiveSubscriptions.RefusedTopic] = []
            for grant in grants {
                if grant.requiresStaff, !values.caller.isStaff {
                    refused.append(.init(topic: grant.topic, refusal: .forbidden("the connection's token is no longer staff's")))
                } else {
                    values.grants[grant.topic] = grant
                }
            }
            return refused
        }
    }

    private struct MessageAnswer: Decodable {
        var message_id: String
        var event_id: String
    }
}

extension ClientFrame {
    var ref: String? {
        switch self {
        case .subscribe(let ref, _, _), .unsubscribe(let ref, _), .post(let ref, _, _), .typing(let ref, _, _),
             .auth(let ref, _), .ping(let ref):
            ref
        }
    }
}

extension WebSocketMessage {
    /// The size the contract's 64 KiB limit counts: the payload after decompression.
    var payloadBytes: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.readableBytes
        }
    }
}
