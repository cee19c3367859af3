import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

extension CommandExecutor {
    /// Runs a command inside the caller's transaction on `connection`, which must not have
    /// written anything yet (the append has to be the transaction's first write): for work that
    /// must commit with the events, such as a reactor's checkpoint.
    ///
    /// It decides under the stream's lock on the stored snapshot, so it never meets a concurrent
    /// writer. It bypasses the in-process snapshot copies; a process holding one finds it stale
    /// at its next command (the version check) and reloads it.
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
        let state: State? = try decodeState(current.snapshot)

        let outcome: CommandOutcome
        switch try decide(state) {
        case .unchanged(let existingVersion):
            outcome = .unchanged(existingVersion: existingVersion)
        case .append(let events):
            let append = try PendingAppend(events, after: state, atVersion: current.version, metadata: metadata, evolve: evolve)
            let result = try await EventStore.append(
                append.newEvents, to: stream,
                expectedVersion: current.version == 0 ? .noStream : .exactly(current.version),
                snapshot: append.snapshot, on: connection, logger: logger
            )
            outcome = .appended(events, result)
        }
        let extra = try await alongside(connection, outcome)
        return (outcome, extra)
    }
}
