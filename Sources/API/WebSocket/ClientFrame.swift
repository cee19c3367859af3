import Domain
import Foundation
import Realtime

/// A client → server WebSocket frame (contract section 6), parsed and checked.
enum ClientFrame {
    case subscribe(ref: String?, topics: [Topic], since: Int64?)
    case unsubscribe(ref: String?, topics: [Topic])
    case post(ref: String?, room: String, body: JSONObject)
    case typing(ref: String?, room: String, started: Bool)
    case auth(ref: String?, token: String)
    case ping(ref: String?)

    /// Why a frame could not be used: the error frame's code and message.
    struct Problem: Error {
        var ref: String?
        var code: String
        var message: String
    }

    static func parse(_ text: String) throws(Problem) -> ClientFrame {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(let object) = value else {
            throw Problem(ref: nil, code: "malformed_request", message: "a frame must be one JSON object")
        }
        let ref: String? = if case .string(let ref)? = object["ref"] { ref } else { nil }
        func invalid(_ message: String) -> Problem { Problem(ref: ref, code: "validation_failed", message: message) }
        func string(_ key: String) throws(Problem) -> String {
            guard case .string(let value)? = object[key], !value.isEmpty else { throw invalid("\(key) is required and must be a string") }
            return value
        }
        func topics() throws(Problem) -> [Topic] {
            guard case .array(let values)? = object["topics"], !values.isEmpty else {
                throw invalid("topics is required: a non-empty array of topics")
            }
            var topics: [Topic] = []
            for value in values {
                guard case .string(let text) = value else {
                    throw invalid("topics must be strings: room:<room_id>, orders or notifications")
                }
                guard let topic = Topic(text) else {
                    throw invalid("unknown topic \"\(text)\": use room:<room_id>, orders or notifications")
                }
                if !topics.contains(topic) { topics.append(topic) }
            }
            return topics
        }
        func room() throws(Problem) -> String {
            let room = try string("room")
            guard Identifier.isValid(room) else { throw invalid("room must be a room id") }
            return room
        }

        guard case .string(let type)? = object["type"] else {
            throw Problem(ref: ref, code: "malformed_request", message: "type is required")
        }
        switch type {
        case "subscribe":
            var since: Int64?
            switch object["since"] {
            case nil, .null?: since = nil
            case .string(let raw)?:
                guard let value = Int64(raw), value >= 0 else { throw invalid("since must be an event id") }
                since = value
            case .int(let value)? where value >= 0: since = value
            default: throw invalid("since must be an event id")
            }
            return .subscribe(ref: ref, topics: try topics(), since: since)
        case "unsubscribe":
            return .unsubscribe(ref: ref, topics: try topics())
        case "post":
            return .post(ref: ref, room: try room(), body: object)
        case "typing":
            let room = try room()
            switch object["state"] {
            case .string("started")?: return .typing(ref: ref, room: room, started: true)
            case .string("stopped")?: return .typing(ref: ref, room: room, started: false)
            default: throw invalid("state must be started or stopped")
            }
        case "auth":
            return .auth(ref: ref, token: try string("token"))
        case "ping":
            return .ping(ref: ref)
        default:
            throw Problem(ref: ref, code: "malformed_request", message: "unknown frame type \(type)")
        }
    }
}

/// Server → client frames.
enum ServerFrame {
    static func ref(_ ref: String?) -> String { ref.map { #","ref":\#(jsonString($0))"# } ?? "" }

    static func topics(_ topics: [Topic]) -> String { "[" + topics.map { jsonString($0.description) }.joined(separator: ",") + "]" }

    /// `refused` (contract section 10) is left out when empty.
    static func subscribed(_ ref: String?, _ topics: [Topic], refused: [LiveSubscriptions.RefusedTopic] = []) -> String {
        let refusedList = refused.isEmpty ? "" : #","refused":["# + refused.map { refused in
            #"{"topic":\#(jsonString(refused.topic.description)),"code":"\#(refused.refusal.code)","message":\#(jsonString(refused.refusal.detail))}"#
        }.joined(separator: ",") + "]"
        return #"{"type":"subscribed"\#(Self.ref(ref)),"topics":\#(Self.topics(topics))\#(refusedList)}"#
    }

    static func unsubscribed(_ ref: String?, _ topics: [Topic]) -> String {
        #"{"type":"unsubscribed"\#(Self.ref(ref)),"topics":\#(Self.topics(topics))}"#
    }

    static func caughtUp(_ ref: String?, eventID: Int64) -> String {
        #"{"type":"caught_up"\#(Self.ref(ref)),"event_id":"\#(eventID)"}"#
    }

    static func typing(_ topic: Topic, user: String, state: String) -> String {
        #"{"type":"typing","topic":\#(jsonString(topic.description)),"user":\#(jsonString(user)),"state":"\#(state)"}"#
    }

    /// `presence` or `presence_diff`; SSE sends the same object as its `data`.
    static func presence(_ message: PresenceMessage) -> String {
        func list(_ users: [String]) -> String { "[" + users.map(jsonString).joined(separator: ",") + "]" }
        return switch message {
        case .list(let room, let users):
            #"{"type":"\#(message.frameType)","topic":\#(jsonString(Topic.room(room).description)),"users":\#(list(users))}"#
        case .diff(let room, let joins, let leaves):
            #"{"type":"\#(message.frameType)","topic":\#(jsonString(Topic.room(room).description)),"joins":\#(list(joins)),"leaves":\#(list(leaves))}"#
        }
    }

    static func ack(_ ref: String?, extra: String = "") -> String {
        #"{"type":"ack"\#(Self.ref(ref))\#(extra)}"#
    }

    static func pong(_ ref: String?) -> String { #"{"type":"pong"\#(Self.ref(ref))}"# }

    /// - Parameters:
    ///   - topics: the subscriptions the error refuses or ends (contract section 10).
    ///   - retryAfter: seconds to wait before asking again (`unavailable`).
    static func error(_ ref: String?, code: String, message: String, topics: [Topic]? = nil, retryAfter: Int? = nil) -> String {
        let topicList = topics.map { #","topics":\#(Self.topics($0))"# } ?? ""
        let retry = retryAfter.map { #","retry_after":\#($0)"# } ?? ""
        return #"{"type":"error"\#(Self.ref(ref)),"code":\#(jsonString(code)),"message":\#(jsonString(message))\#(topicList)\#(retry)}"#
    }
}
