import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Runs one command against one aggregate, in one transaction:
/// lock the stream, load its snapshot, `decide`, append the events with the new snapshot,
/// let the caller write what must commit with them (idempotency records, a checkpoint), commit.
///
/// Deciding under the stream's lock means the append cannot meet a concurrent writer, so a
/// command never fails with a spurious version conflict; the expected version is still checked.
/// The snapshot is the fold of the stream's events (`evolve`), kept current in the same
/// transaction, so deciding never replays a long stream (a room with a million messages).
public struct CommandExecutor: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `decide` on a connection from the pool. See ``execute(stream:metadata:evolve:on:decide:alongside:)``.
    public func execute<State: Codable & Equatable & Sendable, Alongside: Sendable>(
        stream: String,
        metadata: CommandMetadata,
        evolve: (State?, DomainEvent, Int64) -> State?,
        decide: (State?) throws -> Decision,
        alongside: (PostgresConnection, CommandOutcome) async throws -> Alongside
    ) async throws -> (CommandOutcome, Alongside) {
        try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                try await Self.execute(
                    stream: stream, metadata: metadata, evolve: evolve,
                    on: connection, logger: logger, decide: decide, alongside: alongside
                )
            }
        }
    }

    /// Runs `decide` inside the caller's transaction on `connection`, which must not have written
    /// anything yet (the append has to be the transaction's first write).
    /// - Parameters:
    ///   - evolve: folds one event into the state (the aggregate's `evolve`).
    ///   - decide: the aggregate's decision on the current state (`nil` = no stream yet).
    ///   - alongside: more writes that must commit with the events, or not at all.
    public static func execute<State: Codable & Equatable & Sendable, Alongside: Sendable>(
        stream: String,
        metadata: CommandMetadata,
        evolve: (State?, DomainEvent, Int64) -> State?,
        on connection: PostgresConnection,
        logger: Logger,
        decide: (State?) throws -> Decision,
        alongside: (PostgresConnection, CommandOutcome) async throws -> Alongside
    ) async throws -> (CommandOutcome, Alongside) {
        let current = try await EventStore.lockStream(stream, on: connection, logger: logger)
        let state: State? = try current.snapshot.map { try JSONDecoder().decode(State.self, from: Data($0.utf8)) }

        let outcome: CommandOutcome
        switch try decide(state) {
        case .unchanged(let existingVersion):
            outcome = .unchanged(existingVersion: existingVersion)
        case .append(let events):
            var newState = state
            for (offset, event) in events.enumerated() {
                newState = evolve(newState, event, current.version + Int64(offset) + 1)
            }
            let snapshot = newState == state ? nil : try newState.map(Self.encodeSnapshot)
            let metadataJSON = try metadata.encodedJSON()
            let newEvents = try events.map { event in
                NewEvent(type: event.type, data: String(decoding: try event.encodedData(), as: UTF8.self), metadata: metadataJSON)
            }
            let result = try await EventStore.append(
                newEvents, to: stream,
                expectedVersion: current.version == 0 ? .noStream : .exactly(current.version),
                snapshot: snapshot, on: connection, logger: logger
            )
            outcome = .appended(events, result)
        }
        let extra = try await alongside(connection, outcome)
        return (outcome, extra)
    }

    static func encodeSnapshot<State: Encodable>(_ state: State) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }
}
