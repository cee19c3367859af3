import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Runs commands against aggregates, in one database round trip each in the common case.
///
/// **Optimistic first.** A command is decided on the process's copy of the stream's snapshot
/// (``SnapshotCache``), and its outcome (the events, the new snapshot, the reply kept for a
/// retry) goes to the database as one statement, `run_command`, which checks the stream's
/// version, appends through the sequencer, records the reply and commits. Commands of this
/// process on one stream run one after the other (``StreamLocks``), so they never conflict with
/// each other: one round trip per command, two for the first on a stream (its snapshot is read).
///
/// **Then under the stream's lock.** When another process wrote the stream meanwhile (the
/// version check fails), or when the copy refuses the command (the copy may be stale), the
/// command is decided again inside a transaction holding the stream's lock, on the stored
/// snapshot. That try cannot conflict, so a command never fails because other processes keep
/// winning the race; it costs four round trips, and only on contended or refused commands.
public final class CommandExecutor: Sendable {
    let client: DatabasePool
    let store: EventStore
    let logger: Logger
    let snapshots: SnapshotCache
    let locks = StreamLocks()
    /// How often a command whose `Idempotency-Key` or `client_msg_id` was committed by a
    /// concurrent request is asked again (to answer that request's reply).
    let maximumAttempts = 3

    /// - Parameter snapshotCapacity: how many streams' snapshots the process keeps (default 10,000).
    public init(client: DatabasePool, logger: Logger, snapshotCapacity: Int = 10_000) {
        self.client = client
        self.store = EventStore(client: client, logger: logger)
        self.logger = logger
        self.snapshots = SnapshotCache(capacity: snapshotCapacity)
    }

    /// Runs one command on `stream`.
    /// - Parameters:
    ///   - idempotency: the scopes its reply is kept under (none: nothing is kept).
    ///   - evolve: folds one event into the state (the aggregate's `evolve`).
    ///   - decide: the aggregate's decision on the current state (`nil` = no stream yet).
    ///   - reply: the answer, given the command's event id (a placeholder the database fills in).
    /// - Throws: the decision's rejection, ``CommandError``, or `EventStoreError` when the stream
    ///   changed in a way its lock should have prevented.
    public func execute<State: Codable & Equatable & Sendable>(
        stream: String,
        metadata: CommandMetadata,
        idempotency: Idempotency,
        evolve: @escaping (State?, DomainEvent, Int64) -> State?,
        decide: @escaping (State?) throws -> Decision,
        reply: (_ eventID: String) throws -> CommandReply
    ) async throws -> CommandResult {
        let command = Command(
            stream: stream, metadata: metadata, idempotency: idempotency,
            reply: try reply(CommandReply.eventIDPlaceholder), evolve: evolve, decide: decide
        )
        return try await locks.withLock(stream) {
            var attempt = 1
            while true {
                do {
                    if let result = try await runOptimistically(command) { return result }
                    return try await runLocked(command)
                } catch let error as PSQLError where error.sqlState == "TL004" && attempt < maximumAttempts {
                    // The same key or client_msg_id committed first: the next try answers its reply.
                    attempt += 1
                }
            }
        }
    }

    /// A command and what it needs to be decided and recorded.
    struct Command<State: Codable & Equatable & Sendable> {
        let stream: String
        let metadata: CommandMetadata
        let idempotency: Idempotency
        let reply: CommandReply
        let evolve: (State?, DomainEvent, Int64) -> State?
        let decide: (State?) throws -> Decision
    }

    /// Decides on the process's copy and sends one autocommitted statement; nil when the copy
    /// turned out stale or refused the command, which the locked path must then settle.
    private func runOptimistically<State>(_ command: Command<State>) async throws -> CommandResult? {
        let stream = command.stream
        let cached = snapshots.get(stream, as: State.self)
        let current: (version: Int64, state: State?)
        if let cached {
            current = cached
        } else {
            let stored = try await StageTimes.measure("db") { try await store.streamState(stream) }
            current = (stored.version, try Self.decodeState(stored.snapshot))
        }
        guard let decided = try? StageTimes.measure("decide", { try decide(command, on: current.state, version: current.version) }) else {
            snapshots.remove(stream)
            return nil
        }
        do {
            let (result, version) = try await StageTimes.measure("db") {
                try await run(decided.statement, decision: decided.decision) { statement, logger in
                    try await self.client.execute(statement, logger: logger)
                }
            }
            if let version { snapshots.store(stream, version: version, state: decided.newState) }
            return result
        } catch let error as PSQLError where error.sqlState == "TL001" || error.sqlState == "23505" {
            snapshots.remove(stream)
            return nil
        } catch {
            // Whether it committed is unknown (a lost connection, say): trust no copy.
            snapshots.remove(stream)
            throw error
        }
    }

    /// Decides under the stream's lock on the stored snapshot, in one transaction.
    private func runLocked<State>(_ command: Command<State>) async throws -> CommandResult {
        let stream = command.stream
        snapshots.remove(stream)
        // Timed as one stage: deciding happens inside the transaction.
        let (result, version, newState) = try await StageTimes.measure("locked") { try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection -> (CommandResult, Int64?, State?) in
                let stored = try await EventStore.lockStream(stream, on: connection, logger: logger)
                let decided: Decided<State>
                do {
                    decided = try decide(command, on: try Self.decodeState(stored.snapshot), version: stored.version)
                } catch {
                    // Refused on the current state: unless it had been done already.
                    if let replayed = try await storedReply(command.idempotency, on: connection) { return (replayed, nil, nil) }
                    throw error
                }
                let (result, version) = try await run(decided.statement, decision: decided.decision) { statement, logger in
                    try await connection.rows(of: statement, logger: logger)
                }
                return (result, version, decided.newState)
            }
        } }
        if let version { snapshots.store(stream, version: version, state: newState) }
        return result
    }

    /// A decision turned into the statement that records it.
    struct Decided<State> {
        var decision: Decision
        var statement: RunCommandStatement
        var newState: State?
    }

    private func decide<State>(_ command: Command<State>, on state: State?, version: Int64) throws -> Decided<State> {
        let decision = try command.decide(state)
        var statement = RunCommandStatement(
            stream: command.stream, expectedVersion: version, types: [], data: [], metadata: [],
            idempotency: command.idempotency, reply: command.reply
        )
        switch decision {
        case .append(let events):
            let append = try PendingAppend(events, after: state, atVersion: version, metadata: command.metadata, evolve: command.evolve)
            statement.types = append.newEvents.map(\.type)
            statement.data = append.newEvents.map(\.data)
            statement.metadata = append.newEvents.map(\.metadata)
            statement.snapshot = append.snapshot
            return Decided(decision: decision, statement: statement, newState: append.newState)
        case .unchanged(let existingVersion):
            statement.existingVersion = existingVersion
            return Decided(decision: decision, statement: statement, newState: state)
        }
    }

    /// Sends `run_command` and reads its answer; the version is the stream's after the command,
    /// nil when the command was answered from a stored reply.
    private func run(
        _ statement: RunCommandStatement, decision: Decision,
        _ execute: (RunCommandStatement, Logger) async throws -> [RunCommandStatement.Row]
    ) async throws -> (CommandResult, Int64?) {
        guard let row = try await execute(statement, logger).last else { preconditionFailure("run_command returns exactly one row") }
        let reply = CommandReply(status: Int(row.status), body: row.body)
        switch (row.outcome, decision) {
        case ("appended", .append(let events)):
            if let first = row.firstPosition, let last = row.lastPosition, let version = row.lastVersion {
                return (.executed(.appended(events, AppendResult(firstPosition: first, lastPosition: last, lastVersion: version)), reply), version)
            }
        case ("unchanged", .unchanged(let existingVersion)):
            return (.executed(.unchanged(existingVersion: existingVersion), reply), row.lastVersion)
        case ("replayed", _):
            return (.replayed(reply), nil)
        case ("key_reused", _):
            throw CommandError.idempotencyKeyReused
        default:
            break
        }
        preconditionFailure("run_command answered \(row.outcome) to \(decision)")
    }

    /// The reply kept for an earlier command under the same key or client_msg_id, if any.
    private func storedReply(_ idempotency: Idempotency, on connection: PostgresConnection) async throws -> CommandResult? {
        let scopes = idempotency.scopes
        guard !scopes.isEmpty else { return nil }
        var found: [String: StoredReplyStatement.Row] = [:]
        for try await row in try await connection.execute(StoredReplyStatement(idempotency: idempotency), logger: logger) {
            found[row.scope] = row
        }
        guard let stored = scopes.lazy.compactMap({ found[$0] }).first else { return nil }
        guard stored.sameRequest else { throw CommandError.idempotencyKeyReused }
        return .replayed(CommandReply(status: Int(stored.status), body: stored.body))
    }

    static func decodeState<State: Decodable>(_ snapshot: String?) throws -> State? {
        try snapshot.map { try JSONDecoder().decode(State.self, from: Data($0.utf8)) }
    }
}
