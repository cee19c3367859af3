import Domain
import EventStore
import Foundation

/// What a decision to append turns into before it is written: the encoded events and the
/// aggregate's state after them, with its snapshot when the events changed it.
struct PendingAppend<State: Codable & Equatable & Sendable> {
    let newEvents: [NewEvent]
    let newState: State?
    /// The new state's JSON, or nil when the events left the state as it was (the stored
    /// snapshot stays: a chat message does not rewrite a room's member list).
    let snapshot: String?

    /// - Parameter version: the stream's version before these events.
    init(
        _ events: [DomainEvent], after state: State?, atVersion version: Int64,
        metadata: CommandMetadata, evolve: (State?, DomainEvent, Int64) -> State?
    ) throws {
        var newState = state
        for (offset, event) in events.enumerated() {
            newState = evolve(newState, event, version + Int64(offset) + 1)
        }
        self.newState = newState
        snapshot = newState == state ? nil : try newState.map(Self.encodeSnapshot)
        let metadataJSON = try metadata.encodedJSON()
        newEvents = try events.map { event in
            NewEvent(type: event.type, data: String(decoding: try event.encodedData(), as: UTF8.self), metadata: metadataJSON)
        }
    }

    static func encodeSnapshot(_ state: State) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }
}
