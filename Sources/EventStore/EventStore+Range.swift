import Logging
import PostgresNIO

/// Which events a replay wants: whole streams, whole categories, or a category's events whose
/// `data` has a given field value (a customer's orders).
public struct EventFilter: Sendable {
    public var streams: [String] = []
    public var categories: [String] = []
    public var categoryField: (category: String, key: String, value: String)?

    public init(streams: [String] = [], categories: [String] = [], categoryField: (category: String, key: String, value: String)? = nil) {
        self.streams = streams
        self.categories = categories
        self.categoryField = categoryField
    }
}

extension EventStore {
    /// Events with ids in (`after`, `upTo`] that match `filter`, in id order: a page of a replay.
    /// `upTo` must be a position readers have already seen safely (a live feed's position).
    public func readRange(after: Int64, upTo: Int64, filter: EventFilter, limit: Int) async throws -> [RecordedEvent] {
        try await client.execute(ReadRangeStatement(after: after, upTo: upTo, filter: filter, limit: limit), logger: logger)
    }
}
