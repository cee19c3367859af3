import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Realtime
import ServiceLifecycle
import Synchronization

/// `GET /v1/stream`: Server-Sent Events (contract section 5).
struct StreamRoutes: Sendable {
    let live: LiveSubscriptions
    let hub: Hub
    let slots: StreamSlots
    /// Topics one stream may name (contract: 100).
    let maxTopics: Int
    let queueLimit: Int
    let keepAliveInterval: Duration
    /// A write to the client pending this long ends the stream (a watchdog checks this often).
    let writeTimeout: Duration

    func add(to group: RouterGroup<TidelineRequestContext>) {
        group.get("stream") { request, context in
            let caller = try context.requireCaller()
            let topics = try Self.topics(request.uri.queryParameters.get("topics"), limit: maxTopics)
            // EventSource reconnects with its original URL plus Last-Event-ID: the header wins.
            let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!]
            let since = try lastEventID.map { try QueryParameters.eventID($0, field: "Last-Event-ID") }
                ?? QueryParameters.optionalEventID(request, "since")
            // Refusals answer 403/422 before the stream starts; `subscribe` authorizes again once
            // the hub routes the topics here (a member may leave in between).
            try await live.authorizeForAPI(topics, caller: caller)
            // So does a `since` past the log (422) or one this process has not reached in time
            // (503): a stream's status cannot change once it has started.
            if let since {
                try await live.waitUntilSeenForAPI(since, field: lastEventID == nil ? "since" : "Last-Event-ID")
            }
            let slot = try slots.take(for: caller.user)
            let headers: HTTPFields = [
                .contentType: "text/event-stream; charset=utf-8",
                .cacheControl: "no-cache",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let sink = StreamSink(limit: queueLimit)
                let connection = hub.connect(user: caller.user, sink: sink, heldLimit: queueLimit)
                // A client that keeps the connection open but stops reading leaves a write (or
                // the final flush) pending for good once the socket's buffers are full; neither
                // the hub's verdict (too slow) nor the end of the stream would ever be reached.
                // A watchdog on the connection's event loop closes it instead.
                let pendingWrite = PendingWrite()
                let watchdog = context.eventLoop.scheduleRepeatedTask(
                    initialDelay: TimeAmount(writeTimeout), delay: TimeAmount(writeTimeout)
                ) { [channel = context.channel, writeTimeout] _ in
                    guard pendingWrite.longerThan(writeTimeout) else { return }
                    connection.close(.tooSlow)
                    channel.close(promise: nil)
                }
                defer { watchdog.cancel() }
                do {
                    try await request.body.consumeWithCancellationOnInboundClose { _ in
                        try await withGracefulShutdownHandler {
                            try await stream(
                                connection, sink: sink, topics: topics, since: since, caller: caller,
                                eventLoop: context.eventLoop, pendingWrite: pendingWrite, to: &writer
                            )
                        } onGracefulShutdown: {
                            connection.close(.goingAway)
                        }
                    }
                } catch {
                    // The client went away (cancellation), or writing to it failed: either way the
                    // stream is over, and the hub must forget the connection below.
                }
                hub.disconnect(connection)
                try? await pendingWrite.timing { try await writer.finish(nil) }
                withExtendedLifetime(slot) {}
            })
        }
    }

    private func stream(
        _ connection: LiveConnection, sink: StreamSink, topics: [Topic], since: Int64?, caller: Caller,
        eventLoop: any EventLoop, pendingWrite: PendingWrite, to writer: inout any ResponseBodyWriter
    ) async throws {
        try await pendingWrite.timing { try await writer.write(ByteBuffer(string: "retry: 2000\n\n")) }
        do {
            let subscription = try await live.subscribe(connection, to: topics, user: caller.user, isStaff: caller.isStaff, since: since) { page in
                // A page of the replay, one write.
                var buffer = ByteBuffer()
                for replayed in page {
                    let event = replayed.event
                    buffer.writeString(FeedEvent.serverSentEvent(position: event.position, type: event.type, envelopeJSON: event.envelopeJSON))
                }
                try await pendingWrite.timing { try await writer.write(buffer) }
            }
            // Refused after the 200 (the caller left a private room meanwhile): say so, and go
            // on with the rest.
            if !subscription.refused.isEmpty { try await writer.write(Self.comments(refusing: subscription.refused)) }
        } catch LiveSubscriptions.SubscribeError.nothingGranted(let refused) {
            try await writer.write(Self.comments(refusing: refused))
            return
        }
        // Keep-alives, and the end of the stream when the token expires: timers on the
        // connection's event loop, not a task per stream that sleeps.
        let expiry = ExpiryTimer(eventLoop: eventLoop, expiresAt: { caller.expiresAt }) { connection.close(.tokenExpired) }
        let keepAlives = eventLoop.scheduleRepeatedTask(
            initialDelay: TimeAmount(keepAliveInterval), delay: TimeAmount(keepAliveInterval)
        ) { _ in connection.keepAlive() }
        defer {
            expiry.cancel()
            keepAlives.cancel()
        }
        for await item in sink.items {
            let bytes = switch item {
            case .event(_, let event): event.serverSentEvent
            case .typing(let topic, let user, let state):
                ByteBuffer(string: "event: typing\ndata: " + #"{"topic":\#(jsonString(topic.description)),"user":\#(jsonString(user)),"state":"\#(state)"}"# + "\n\n")
            case .revoked(let topic): ByteBuffer(string: ": subscription to \(topic) ended\n\n")
            case .presence(let message):
                ByteBuffer(string: "event: \(message.frameType)\ndata: \(ServerFrame.presence(message))\n\n")
            case .keepAlive: ByteBuffer(string: ": keep-alive\n\n")
            }
            try await pendingWrite.timing { try await writer.write(bytes) }
        }
    }

    /// One `: subscription refused: <reason>` comment per topic refused after the stream opened.
    private static func comments(refusing refused: [LiveSubscriptions.RefusedTopic]) -> ByteBuffer {
        ByteBuffer(string: refused.map { ": subscription refused: \($0.refusal.detail)\n\n" }.joined())
    }

    /// `topics=a,b,c`: required, each known, at most 100 (contract section 7).
    static func topics(_ raw: String?, limit: Int) throws -> [Topic] {
        guard let raw, !raw.isEmpty else { throw APIError.validation(field: "topics", "is required: a comma-separated list of topics") }
        var topics: [Topic] = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            guard let topic = Topic(String(part)) else {
                throw APIError.validation(field: "topics", "unknown topic \"\(part)\": use room:<room_id>, orders or notifications")
            }
            if !topics.contains(topic) { topics.append(topic) }
        }
        guard topics.count <= limit else { throw APIError.validation(field: "topics", "at most \(limit) topics") }
        return topics
    }
}

extension LiveSubscriptions {
    /// ``authorize(_:user:isStaff:)`` for a stream, which is all or nothing (contract section
    /// 5): the first refused topic answers, an unknown room with 422, a private room with 403.
    func authorizeForAPI(_ topics: [Topic], caller: Caller) async throws {
        if let refused = try await authorize(topics, user: caller.user, isStaff: caller.isStaff).refused.first {
            throw refused.refusal.apiError
        }
    }

    /// ``waitUntilSeen(_:)`` with its errors as the API's: 422 on `field`, or 503.
    func waitUntilSeenForAPI(_ since: Int64, field: String) async throws {
        do {
            try await waitUntilSeen(since)
        } catch let error as SubscribeError {
            throw error.apiError(sinceField: field)
        }
    }
}

extension LiveSubscriptions.Refusal {
    /// The contract's error code: an unknown room is a validation failure (as an unknown
    /// topic), a private room is forbidden.
    var code: String { apiError.code }

    var apiError: APIError {
        switch self {
        case .unknownTopic(let detail): .validation(field: "topics", detail)
        case .forbidden(let detail): .forbidden(detail)
        }
    }
}

extension LiveSubscriptions.SubscribeError {
    /// - Parameter sinceField: where the client gave its resume point (`since`, `Last-Event-ID`).
    func apiError(sinceField: String) -> APIError {
        switch self {
        case .nothingGranted(let refused):
            refused.first?.refusal.apiError ?? .forbidden("no topic granted")
        case .sinceBeyondTheLog: .validation(field: sinceField, detail)
        case .sinceNotYetSeen: .unavailable(detail, retryAfter: 1)
        }
    }
}

/// When the write in progress started, if one is: a write pending too long means the client
/// stopped reading.
final class PendingWrite: Sendable {
    private let startedAt = Mutex<ContinuousClock.Instant?>(nil)

    /// Runs `write`, marked as pending while it runs.
    func timing(_ write: () async throws -> Void) async rethrows {
        startedAt.withLock { $0 = .now }
        defer { startedAt.withLock { $0 = nil } }
        try await write()
    }

    func longerThan(_ limit: Duration) -> Bool {
        startedAt.withLock { $0.map { $0.duration(to: .now) > limit } ?? false }
    }
}
