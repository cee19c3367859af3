import Foundation

/// A client → server WebSocket frame (contract section 6).
public enum ClientFrame: Sendable, Equatable {
    case subscribe(ref: String, topics: [String], since: Int64?)
    case unsubscribe(ref: String, topics: [String])
    case post(ref: String, room: String, text: String, clientMsgID: String)
    case typing(room: String, state: TypingSignal)
    case auth(ref: String, token: String)
    case ping(ref: String)

    /// The frame's JSON text.
    public var json: String {
        let object: [String: String?] = switch self {
        case .subscribe(let ref, _, let since): ["type": "subscribe", "ref": ref, "since": since.map(String.init)]
        case .unsubscribe(let ref, _): ["type": "unsubscribe", "ref": ref]
        case .post(let ref, let room, let text, let clientMsgID):
            ["type": "post", "ref": ref, "room": room, "text": text, "client_msg_id": clientMsgID]
        case .typing(let room, let state): ["type": "typing", "room": room, "state": state.rawValue]
        case .auth(let ref, let token): ["type": "auth", "ref": ref, "token": token]
        case .ping(let ref): ["type": "ping", "ref": ref]
        }
        var fields = object.compactMapValues { $0 }.map { Field(key: $0.key, value: .string($0.value)) }
        switch self {
        case .subscribe(_, let topics, _), .unsubscribe(_, let topics): fields.append(Field(key: "topics", value: .strings(topics)))
        default: break
        }
        return Self.encode(fields)
    }

    /// The topic of a room (contract section 2).
    public static func topic(room: String) -> String { "room:\(room)" }

    private struct Field {
        enum Value { case string(String), strings([String]) }
        var key: String
        var value: Value
    }

    private static func encode(_ fields: [Field]) -> String {
        // Keys sorted: the same frame always has the same text (tests compare it).
        let members = fields.sorted { $0.key < $1.key }.map { field in
            let value = switch field.value {
            case .string(let text): quote(text)
            case .strings(let texts): "[" + texts.map(quote).joined(separator: ",") + "]"
            }
            return quote(field.key) + ":" + value
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    private static func quote(_ text: String) -> String {
        // JSONEncoder escapes a bare string correctly, including control characters.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = (try? encoder.encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
