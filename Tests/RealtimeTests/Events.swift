import EventStore
@testable import Realtime

/// Feed events as the store would hand them to the hub, built from the contract's JSON.
enum Events {
    static func message(_ position: Int64, room: String, author: String = "ann") -> FeedEvent {
        FeedEvent(RecordedEvent(
            position: position, streamName: "room-\(room)", version: position, type: "chat.message_posted",
            occurredAt: "2026-12-02T12:00:00.000Z",
            data: #"{"room_id":"\#(room)","message_id":"m\#(position)","author":"\#(author)","text":"hi","client_msg_id":"c\#(position)"}"#,
            metadata: "{}"
        ))
    }

    static func left(_ position: Int64, room: String, user: String) -> FeedEvent {
        FeedEvent(RecordedEvent(
            position: position, streamName: "room-\(room)", version: position, type: "chat.member_left",
            occurredAt: "2026-12-02T12:00:00.000Z", data: #"{"room_id":"\#(room)","user":"\#(user)"}"#, metadata: "{}"
        ))
    }
}

extension LiveConnection.Outbound {
    /// The event id of an `event` item, nil for anything else.
    var eventID: Int64? {
        if case .event(_, let event) = self { return event.position }
        return nil
    }

    var isRevocation: Bool {
        if case .revoked = self { return true }
        return false
    }
}

extension LiveConnection {
    /// Everything queued, in order: ends the queue (a normal close unless a reason was recorded
    /// before), then reads what it held.
    func closeAndDrain() async -> [Outbound] {
        close(.normal)
        var items: [Outbound] = []
        for await item in outbound { items.append(item) }
        return items
    }
}
