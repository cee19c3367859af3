/// An event as stored: its global position (the public event id), stream, version and JSON payloads.
public struct RecordedEvent: Sendable, Equatable {
    /// Global position, strictly increasing in the order readers see events.
    public var position: Int64
    public var streamName: String
    /// 1-based position within the stream.
    public var version: Int64
    public var type: String
    /// RFC 3339, UTC, milliseconds (formatted by the database, the clock of record).
    public var occurredAt: String
    /// The `data` JSON object as text.
    public var data: String
    /// The `metadata` JSON object as text.
    public var metadata: String

    public init(position: Int64, streamName: String, version: Int64, type: String, occurredAt: String, data: String, metadata: String) {
        self.position = position
        self.streamName = streamName
        self.version = version
        self.type = type
        self.occurredAt = occurredAt
        self.data = data
        self.metadata = metadata
    }

    /// The stream's category: `room` for `room-general` (Message DB's convention).
    public var category: String {
        streamName.split(separator: "-", maxSplits: 1).first.map(String.init) ?? streamName
    }
}
