import EventStore
@testable import Realtime

/// Feed events as the store would hand them to the hub, built from the contract's JSON.
enum Events {
    static func message(_ position: Int64, room: String, author: String = "ann") -> FeedEvent {
        FeedEvent(stored(position, room: room, author: author))
    }

    static func stored(_ position: Int64, room: String, author: String = "ann") -> RecordedEvent {
        RecordedEvent(
            position: position, streamName: "room-\(room)", version: position, type: "chat.message_posted",
            occurredAt: "2026-12-02T12:00:00.000Z",
            data: #"{"room_id":"\#(room)","message_id":"m\#(position)","author":"\#(author)","text":"hi","client_msg_id":"c\#(position)"}"#,
            metadata: "{}"
        )
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

extension Hub {
    /// A connection whose items a test reads back (at most `queueLimit` queued or held).
    func connectReadable(user: String, queueLimit: Int = 4096) -> (LiveConnection, StreamSink) {
        let sink = StreamSink(limit: queueLimit)
        return (connect(user: user, sink: sink, heldLimit: queueLimit), sink)
    }
}

extension StreamSink {
    /// Everything queued for `connection`, in order: ends it (a normal close unless a reason was
    /// recorded before), then reads what the sink held.
    func closeAndDrain(_ connection: LiveConnection) async -> [LiveConnection.Outbound] {
        connection.close(.normal)
        var all: [LiveConnection.Outbound] = []
        for await item in items { all.append(item) }
        return all
    }
}
