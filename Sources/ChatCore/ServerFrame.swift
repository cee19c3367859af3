import Foundation

/// A server → client WebSocket frame (contract section 6), as far as the chat client cares.
public enum ServerFrame: Sendable, Equatable {
    /// `topics` were granted; `refused` are the frame's other topics, each with its reason
    /// (contract section 10; empty from a server that refuses a whole frame instead).
    case subscribed(ref: String?, topics: [String], refused: [Refusal] = [])
    case unsubscribed(ref: String?, topics: [String])
    case caughtUp(ref: String?, eventID: Int64)
    case event(topic: String, RoomEvent)
    case typing(topic: String, user: String, state: TypingSignal)
    /// Everyone online in a room, after a subscription's `caught_up` (contract section 9).
    case presence(topic: String, users: [String])
    /// Who came online and who went offline since the last presence frame of the room.
    case presenceDiff(topic: String, joins: [String], leaves: [String])
    case ack(ref: String?, eventID: Int64?)
    case pong(ref: String?)
    /// A frame that failed (with its `ref`), or a subscription the server ended (without one).
    /// `topics` names the topics it concerns: a refused subscribe's, or the ones ended
    /// (contract section 10); `retryAfter` comes with `unavailable`.
    case error(ref: String?, code: String, message: String, topics: [String] = [], retryAfter: Duration? = nil)
    /// A frame type this client does not know; later server versions may add some.
    case unknown(type: String)

    /// A topic a `subscribe` asked for and did not get.
    public struct Refusal: Sendable, Equatable {
        public let topic: String
        public let code: String
        public let message: String

        public init(topic: String, code: String, message: String) {
            self.topic = topic
            self.code = code
            self.message = message
        }
    }

    /// A refusal as sent; one without a topic says nothing we could act on and is skipped.
    private struct RawRefusal: Decodable {
        var topic: String?
        var code: String?
        var message: String?

        var refusal: Refusal? {
            topic.map { Refusal(topic: $0, code: code ?? "", message: message ?? "") }
        }
    }

    public struct DecodingError: Error, Equatable {
        public let description: String
    }

    /// Decodes one text frame.
    public static func decode(_ text: String) throws(DecodingError) -> ServerFrame {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: Data(text.utf8))
        } catch {
            throw DecodingError(description: "not a frame: \(error)")
        }
        func eventID(_ value: String?) throws(DecodingError) -> Int64 {
            guard let value, let id = Int64(value) else { throw DecodingError(description: "\(raw.type) without an event id") }
            return id
        }
        switch raw.type {
        case "subscribed": return .subscribed(ref: raw.ref, topics: raw.topics ?? [], refused: (raw.refused ?? []).compactMap(\.refusal))
        case "unsubscribed": return .unsubscribed(ref: raw.ref, topics: raw.topics ?? [])
        case "caught_up": return .caughtUp(ref: raw.ref, eventID: try eventID(raw.event_id))
        case "ack": return .ack(ref: raw.ref, eventID: raw.event_id.flatMap { Int64($0) })
        case "pong": return .pong(ref: raw.ref)
        case "error":
            let retryAfter = raw.retry_after.flatMap { $0.isFinite && $0 >= 0 ? Duration.milliseconds(Int64(($0 * 1000).rounded())) : nil }
            return .error(ref: raw.ref, code: raw.code ?? "", message: raw.message ?? "", topics: raw.topics ?? [], retryAfter: retryAfter)
        case "typing":
            guard let topic = raw.topic, let user = raw.user, let state = raw.state.flatMap(TypingSignal.init(rawValue:)) else {
                throw DecodingError(description: "typing frame without topic, user or state")
            }
            return .typing(topic: topic, user: user, state: state)
        case "presence":
            guard let topic = raw.topic, let users = raw.users else { throw DecodingError(description: "presence frame without topic or users") }
            return .presence(topic: topic, users: users)
        case "presence_diff":
            guard let topic = raw.topic else { throw DecodingError(description: "presence_diff frame without topic") }
            return .presenceDiff(topic: topic, joins: raw.joins ?? [], leaves: raw.leaves ?? [])
        case "event":
            guard let topic = raw.topic, let envelope = raw.event else { throw DecodingError(description: "event frame without topic or event") }
            return .event(topic: topic, try envelope.roomEvent())
        default:
            return .unknown(type: raw.type)
        }
    }

    /// Every field any frame has; each case picks its own.
    private struct Raw: Decodable {
        var type: String
        var ref: String?
        var topics: [String]?
        var refused: [RawRefusal]?
        var retry_after: Double?
        var topic: String?
        var event_id: String?
        var code: String?
        var message: String?
        var user: String?
        var state: String?
        var event: Envelope?
        var users: [String]?
        var joins: [String]?
        var leaves: [String]?
    }
}

/// A stored event of a room, reduced to what the chat shows.
public enum RoomEvent: Sendable, Equatable {
    case messagePosted(ChatMessage)
    case memberJoined(id: Int64, room: String, user: String)
    case memberLeft(id: Int64, room: String, user: String)
    /// Any other event (room created, later types): it still moves the resume point.
    case other(id: Int64, type: String)

    public var id: Int64 {
        switch self {
        case .messagePosted(let message): message.eventID
        case .memberJoined(let id, _, _), .memberLeft(let id, _, _), .other(let id, _): id
        }
    }
}

/// The event envelope of contract section 1.
struct Envelope: Decodable {
    struct Payload: Decodable {
        var room_id: String?
        var author: String?
        var text: String?
        var user: String?
    }

    var id: String
    var type: String
    var occurred_at: String
    var data: Payload

    func roomEvent() throws(ServerFrame.DecodingError) -> RoomEvent {
        guard let id = Int64(id) else { throw ServerFrame.DecodingError(description: "event id \(self.id) is not a number") }
        switch (type, data.room_id, data.author, data.text, data.user) {
        case ("chat.message_posted", let room?, let author?, let text?, _):
            guard let date = Timestamp.parse(occurred_at) else { throw ServerFrame.DecodingError(description: "bad occurred_at \(occurred_at)") }
            return .messagePosted(ChatMessage(eventID: id, room: room, author: author, text: text, occurredAt: date))
        case ("chat.member_joined", let room?, _, _, let user?):
            return .memberJoined(id: id, room: room, user: user)
        case ("chat.member_left", let room?, _, _, let user?):
            return .memberLeft(id: id, room: room, user: user)
        default:
            return .other(id: id, type: type)
        }
    }
}
