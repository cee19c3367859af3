import EventStore
import Foundation
import PostgresNIO
import Testing

/// `ReadAllPage.coveredUpTo`: how far a read saw every final event it asked for, which a reader
/// that filters by type stores as its checkpoint.
@Suite struct ReadAllCoverageTests {
    static func event(_ type: String) -> NewEvent {
        NewEvent(type: type, data: "{}", metadata: #"{"actor":"test"}"#)
    }

    @Test func aFilteredReadCoversTheSafeHeadAndAFullPageItsLastEvent() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let wanted = try await store.append([Self.event("test.wanted")], to: "cover-1", expectedVersion: .noStream)
            let other = try await store.append(
                [Self.event("test.other"), Self.event("test.other")], to: "cover-2", expectedVersion: .noStream
            )
            // Other tests' transactions on the same cluster may hold the frontier a moment.
            var page = try await store.readAll(after: 0, limit: 10, types: ["test.wanted"])
            try await eventually("the read to cover every event") {
                page = try await store.readAll(after: 0, limit: 10, types: ["test.wanted"])
                return page.coveredUpTo == other.lastPosition
            }
            #expect(page.events.map(\.position) == [wanted.lastPosition])
            #expect(!page.hasPendingCommits)

            let past = try await store.readAll(after: wanted.lastPosition, limit: 10, types: ["test.wanted"])
            #expect(past.events.isEmpty)
            #expect(past.coveredUpTo == other.lastPosition, "no wanted event up to the head")

            let full = try await store.readAll(after: 0, limit: 1, types: ["test.other"])
            #expect(full.events.map(\.position) == [other.firstPosition])
            #expect(full.coveredUpTo == other.firstPosition, "a full page says nothing past its last event")

            let ahead = try await store.readAll(after: other.lastPosition + 100, limit: 10, types: ["test.wanted"])
            #expect(ahead.coveredUpTo == other.lastPosition + 100, "never behind where the read started")
        }
    }

    @Test func aFilteredReadDoesNotCoverAnOpenOlderTransaction() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withClient(url) { client in
            let store = EventStore(client: DatabasePool(client), logger: TestDatabase.logger)
            let logger = TestDatabase.logger
            let before = try await store.append([Self.event("test.other")], to: "cover-3", expectedVersion: .noStream)
            try await TestDatabase.withConnection(url) { slow in
                try await slow.query("BEGIN", logger: logger)
                let early = try await EventStore.append(
                    [Self.event("test.wanted")], to: "cover-4", expectedVersion: .any, snapshot: nil, on: slow, logger: logger
                )
                let late = try await store.append([Self.event("test.other")], to: "cover-5", expectedVersion: .any)
                let blocked = try await store.readAll(after: 0, limit: 10, types: ["test.wanted"])
                #expect(blocked.events.isEmpty)
                #expect(blocked.coveredUpTo < early.firstPosition, "a wanted event may still commit there")
                #expect(blocked.coveredUpTo <= before.lastPosition)
                #expect(blocked.hasPendingCommits)
                try await slow.query("COMMIT", logger: logger)
                var released = blocked
                try await eventually("the wanted event to be released") {
                    released = try await store.readAll(after: 0, limit: 10, types: ["test.wanted"])
                    return released.coveredUpTo == late.lastPosition
                }
                #expect(released.events.map(\.position) == [early.firstPosition])
            }
        }
    }
}
