import ArgumentParser
import NIOCore

/// A client that follows one room and hands every frame it receives to `onFrame`:
/// ``WebSocketSubscriber`` (Tideline and the baseline hub) or ``NATSSubscriber``.
protocol RoomSubscriber: Sendable {
    /// - Parameters:
    ///   - onCaughtUp: called once, when the subscription is live.
    ///   - onFrame: called for every frame with the number of `event` frames so far (this one
    ///     included); return false to close.
    func run(
        onCaughtUp: @escaping @Sendable () -> Void,
        onFrame: @escaping @Sendable (_ kind: ServerFrameScan.Kind, _ frame: ByteBuffer, _ events: Int) -> Bool
    ) async throws
}

/// Which protocol the load generator speaks to `--server`.
enum LiveProtocol: String, ExpressibleByArgument, Sendable {
    /// Tideline's REST and WebSocket API (also spoken by `tideline-bench hub`).
    case tideline
    /// NATS's text protocol over nats-server's WebSocket listener (`--server ws://host:port`).
    case nats
}

/// What the live scenarios post to and subscribe at: one server, spoken to in its own protocol.
protocol LiveTarget: Sendable {
    /// Makes the rooms exist (NATS subjects need nothing).
    func createRooms(_ rooms: [String]) async throws
    func subscriber(room: String) -> any RoomSubscriber
    /// Posts message `number` with `text` to `room`; whether the server accepted it.
    func post(room: String, number: Int, text: String, runID: String) async -> Bool
}

/// Tideline, or the baseline hub, over REST and WebSocket with development tokens.
struct TidelineTarget: LiveTarget {
    let api: TidelineHTTP
    let posterToken: String
    let readerToken: String

    /// Fetches a poster's and a reader's token from `api`'s server.
    static func signIn(_ api: TidelineHTTP) async throws -> TidelineTarget {
        TidelineTarget(api: api, posterToken: try await api.token(user: "bench-poster"), readerToken: try await api.token(user: "bench-reader"))
    }

    /// The same users, posting through another client (another connection pool).
    func posting(through api: TidelineHTTP) -> TidelineTarget {
        TidelineTarget(api: api, posterToken: posterToken, readerToken: readerToken)
    }

    func createRooms(_ rooms: [String]) async throws {
        try await concurrently(rooms.count) { try await api.createRoom(rooms[$0], token: posterToken) }
    }

    func subscriber(room: String) -> any RoomSubscriber {
        WebSocketSubscriber(url: api.webSocketURL(token: readerToken), room: room)
    }

    func post(room: String, number: Int, text: String, runID: String) async -> Bool {
        let status = try? await api.postMessage(room: room, text: text, clientMessageID: "c-\(runID)-\(number)", token: posterToken)
        return (200..<300).contains(status ?? 0)
    }
}

/// nats-server over WebSocket: subjects stand for rooms, one connection publishes.
struct NATSTarget: LiveTarget {
    let url: String
    let publisher: NATSPublisher

    func createRooms(_ rooms: [String]) async throws {}

    func subscriber(room: String) -> any RoomSubscriber {
        NATSSubscriber(url: url, subject: NATSProtocol.subject(room: room))
    }

    func post(room: String, number: Int, text: String, runID: String) async -> Bool {
        publisher.publish(subject: NATSProtocol.subject(room: room), payload: NATSProtocol.payload(room: room, number: number, text: text))
    }
}
