/// `POST /v1/rooms/{room_id}/typing` (and the WebSocket `typing` frame): an ephemeral typing
/// indicator. It is never stored as an event.
public struct TypingSignal: Sendable, Equatable {
    /// Started or stopped.
    public let state: TypingState

    /// Validates a body `{"state": "started"|"stopped"}`.
    /// - Throws: A field error when `state` is missing or not one of the two values.
    public init(body: JSONObject) throws(ValidationFailure) {
        var reader = BodyReader(body)
        var state: TypingState?
        if let raw = reader.string("state", required: true) {
            state = TypingState(rawValue: raw)
            if state == nil { reader.fail("state", #"must be "started" or "stopped""#) }
        }
        guard reader.errors.isEmpty, let state else { throw reader.failure }
        self.state = state
    }
}
