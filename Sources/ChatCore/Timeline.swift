/// The ids of a room's events this client has already shown, reduced to the newest one.
///
/// Event ids increase strictly in delivery order (contract section 1), so "shown" is simply
/// "id ≤ last shown": history, replay after a reconnect and live delivery overlap freely and
/// each event still appears once. The last id is what a reconnect asks for as `since`.
public struct Timeline: Sendable, Equatable {
    public private(set) var lastEventID: Int64?

    public init(after lastEventID: Int64? = nil) {
        self.lastEventID = lastEventID
    }

    /// True if the event is new and should be shown; remembers it.
    public mutating func admit(_ eventID: Int64) -> Bool {
        if let last = lastEventID, eventID <= last { return false }
        lastEventID = eventID
        return true
    }

    /// Moves the resume point forward without showing anything (e.g. the event by which we
    /// joined, when the room has no messages yet).
    public mutating func advance(to eventID: Int64) {
        if lastEventID.map({ eventID > $0 }) ?? true { lastEventID = eventID }
    }
}
