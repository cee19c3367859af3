import Domain
import EventStore
import Foundation
import Logging
import PostgresNIO

/// Runs commands against aggregates, in one database round trip each in the common case.
///
/// **Optimistic first.** A command is decided on the process's copy of the stream's snapshot
/// (``SnapshotCache``), and its outcome (the events, the new snapshot, the reply kept for a
/// retry) goes to the database through `run_commands`, which checks the stream's version,
/// appends through the sequencer and records the reply. Commands decided while another batch
/// is in flight share one transaction (``CommandBatcher``), each with its own outcome. Commands
/// of this process on one stream run one after the other (``StreamLocks``), so they never
/// conflict with each other: one round trip per command (or per batch), two for the first on a
/// stream (its snapshot is read).
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
    let batcher: CommandBatcher

    /// - Parameters:
    ///   - snapshotCapacity: how many streams' snapshots the process keeps (default 10,000).
    ///   - batchCommands: at most this many commands share a transaction (default 64).
    ///   - batchBytes: and at most about this many bytes of events, snapshots and replies (default 1 MiB).
    ///   - batchesInFlight: batches sent at once at most (default 2); commands arriving beyond wait for the next.
    public init(
        client: DatabasePool, logger: Logger, snapshotCapacity: Int = 10_000,
        batchCommands: Int = 64, batchBytes: Int = 1 << 20, batchesInFlight: Int = 2
    ) {
        self.client = client
        self.store = EventStore(client: client, logger: logger)
        self.logger = logger
        self.snapshots = SnapshotCache(capacity: snapshotCapacity)
        self.batcher = CommandBatcher(
            limits: .init(maximumCommands: batchCommands, maximumBytes: batchBytes, maximumInFlight: batchesInFlight)
        ) { statement in
            try await client.execute(statement, logger: logger)
        }
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
            if let result = try await runOptimistically(command) { return result }
            return try await runLocked(command)
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
            let outcome = try await StageTimes.measure("db") { try await batcher.run(decided.command) }
            guard let (result, version) = try Self.result(of: outcome, decision: decided.decision) else {
                // Another process wrote the stream: the copy was stale.
                snapshots.remove(stream)
                return nil
            }
            if let version { snapshots.store(stream, version: version, state: decided.newState) }
            return result
        } catch let error as PSQLError where error.sqlState == "23505" {
            // The unique (stream, version) key as a backstop to the version check: settled
            // under the stream's lock, like a conflict.
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
                let outcomes = try await connection.rows(of: RunCommandsStatement(commands: [decided.command]), logger: logger)
                guard let outcome = outcomes.first, let (result, version) = try Self.result(of: outcome, decision: decided.decision) else {
                    // Under the stream's lock, deciding on the stored state: only an unchanged
                    // command naming an event the stream does not have gets here.
                    throw EventStoreError.wrongExpectedVersion(stream: stream, detail: "the decision named an event the stream does not hold")
                }
                return (result, version, decided.newState)
            }
        } }
        if let version { snapshots.store(stream, version: version, state: newState) }
        return result
    }

    /// A decision turned into the command a batch records.
    struct Decided<State> {
        var decision: Decision
        var command: BatchedCommand
        var newState: State?
    }

    private func decide<State>(_ command: Command<State>, on state: State?, version: Int64) throws -> Decided<State> {
        let decision = try command.decide(state)
        var batched = BatchedCommand(
            stream: command.stream, expectedVersion: version, events: [],
            idempotency: command.idempotency, reply: command.reply
        )
        switch decision {
        case .append(let events):
            let append = try PendingAppend(events, after: state, atVersion: version, metadata: command.metadata, evolve: command.evolve)
            batched.events = append.newEvents
            batched.snapshot = append.snapshot
            return Decided(decision: decision, command: batched, newState: append.newState)
        case .unchanged(let existingVersion):
            batched.existingVersion = existingVersion
            return Decided(decision: decision, command: batched, newState: state)
        }
    }

    /// What `run_commands` answered, as the command's result and the stream's version after it
    /// (nil when answered from a stored reply); nil for a conflict (nothing was done).
    static func result(of outcome: BatchedCommandOutcome, decision: Decision) throws -> (CommandResult, Int64?)? {
        switch (outcome.kind, decision, outcome.reply) {
        case (.appended, .append(let events), let reply?):
            if let first = outcome.firstPosition, let last = outcome.lastPosition, let version = outcome.lastVersion {
                return (.executed(.appended(events, AppendResult(firstPosition: first, lastPosition: last, lastVersion: version)), reply), version)
            }
        case (.unchanged, .unchanged(let existingVersion), let reply?):
            return (.executed(.unchanged(existingVersion: existingVersion), reply), outcome.lastVersion)
        case (.replayed, _, let reply?):
            return (.replayed(reply), nil)
        case (.keyReused, _, _):
            throw CommandError.idempotencyKeyReused
        case (.conflict, _, _):
            return nil
        default:
            break
        }
        preconditionFailure("run_commands answered \(outcome) to \(decision)")
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
