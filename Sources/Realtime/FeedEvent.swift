import Domain
import EventStore
import Foundation
import NIOCore

/// A stored event on its way to live subscribers: its id, where it routes, and its envelope,
/// encoded once per process however many connections receive it.
public struct FeedEvent: Sendable {
    public let position: Int64
    public let type: String
    /// The contract's envelope as one line of JSON.
    public let envelopeJSON: String
    public let keys: [RoutingKey]
    /// For `chat.member_left`: who left which room, so private-room subscriptions end.
    public let departure: (room: String, user: String)?
    /// The WebSocket `event` frame's payload for each topic the event reaches, and the SSE
    /// message: encoded once, shared (not copied) by every connection they are written to.
    public let webSocketPayloads: [Topic: ByteBuffer]
    public let serverSentEvent: ByteBuffer
    /// Why this build cannot read the event, if it cannot. It is delivered all the same, as a
    /// replay would deliver it (see ``UndecodableEvent``).
    public let undecodable: UndecodableEvent?

    public init(_ event: RecordedEvent) {
        position = event.position
        type = event.type
        envelopeJSON = event.envelopeJSON
        // Routed by its stream, as a replay selects it, not by its type: live and replay agree
        // even on an event this build cannot read.
        let decoded = DomainEvent.read(type: event.type, data: Data(event.data.utf8))
        keys = Self.routingKeys(of: event, decoded: decoded)
        switch decoded {
        case .success(.memberLeft(let e)): departure = (e.roomId, e.user); undecodable = nil
        case .success: departure = nil; undecodable = nil
        case .failure(let problem): departure = nil; undecodable = problem
        }
        var payloads: [Topic: ByteBuffer] = [:]
        for key in keys where payloads[key.topic] == nil {
            payloads[key.topic] = ByteBuffer(string: Self.webSocketFrame(topic: key.topic, envelopeJSON: envelopeJSON))
        }
        webSocketPayloads = payloads
        serverSentEvent = ByteBuffer(string: Self.serverSentEvent(position: position, type: type, envelopeJSON: envelopeJSON))
    }

    /// The audiences of `event`'s stream: a room's subscribers, a user's notifications, every
    /// order reader and the order's customer (from `customer_id`, read even when the rest of
    /// the data is not).
    static func routingKeys(of event: RecordedEvent, decoded: Result<DomainEvent, UndecodableEvent>) -> [RoutingKey] {
        let id = String(event.streamName.dropFirst(event.category.count + 1))
        guard !id.isEmpty else { return [] }
        switch event.category {
        case StreamName.roomCategory:
            return [.room(id)]
        case StreamName.notificationCategory:
            return [.notificationsOf(id)]
        case StreamName.orderCategory:
            struct Customer: Decodable { var customer_id: String }
            let customer: String? = switch decoded {
            case .success(.orderCreated(let order)): order.customerId
            default: (try? JSONDecoder().decode(Customer.self, from: Data(event.data.utf8)))?.customer_id
            }
            return customer.map { [.ordersOf($0), .allOrders] } ?? [.allOrders]
        default:
            return []
        }
    }

    /// The SSE message (contract section 5) of an event.
    public static func serverSentEvent(position: Int64, type: String, envelopeJSON: String) -> String {
        "id: \(position)\nevent: \(type)\ndata: \(envelopeJSON)\n\n"
    }

    /// The WebSocket `event` frame (contract section 6) as the client reads it on `topic`.
    public static func webSocketFrame(topic: Topic, envelopeJSON: String) -> String {
        #"{"type":"event","topic":\#(jsonString(topic.description)),"event":\#(envelopeJSON)}"#
    }

    /// The `event` frame's payload on `topic` (encoded here if the event does not route there).
    public func webSocketPayload(on topic: Topic) -> ByteBuffer {
        webSocketPayloads[topic] ?? ByteBuffer(string: Self.webSocketFrame(topic: topic, envelopeJSON: envelopeJSON))
    }
}

extension RecordedEvent {
    /// The contract's event envelope (section 1) as one line of JSON. `data` and `metadata` are
    /// the stored JSON, embedded without decoding and re-encoding.
    public var envelopeJSON: String {
        #"{"id":"\#(position)","stream":\#(jsonString(streamName)),"version":\#(version),"type":\#(jsonString(type)),"occurred_at":"\#(occurredAt)","data":\#(data),"metadata":\#(metadata)}"#
    }
}

/// A JSON string literal for `value`.
public func jsonString(_ value: String) -> String {
    var out = "\""
    out.reserveCapacity(value.utf8.count + 2)
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
