import EventStore

extension RecordedEvent {
    /// The contract's event envelope (section 1) as one line of JSON. `data` and `metadata` are
    /// the stored JSON, embedded without decoding and re-encoding.
    var envelopeJSON: String {
        #"{"id":"\#(position)","stream":\#(jsonString(streamName)),"version":\#(version),"type":\#(jsonString(type)),"occurred_at":"\#(occurredAt)","data":\#(data),"metadata":\#(metadata)}"#
    }
}
