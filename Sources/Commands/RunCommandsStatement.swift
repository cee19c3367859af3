import EventStore
import PostgresNIO

/// A decided command as a batch carries it to `run_commands`: the events to append (none: the
/// event at `existingVersion` had done it), the version it was decided on, the new snapshot,
/// and the reply to keep for a retry.
struct BatchedCommand: Sendable {
    var stream: String
    /// The version the decision was made on (0 = the stream did not exist).
    var expectedVersion: Int64
    var events: [NewEvent]
    /// The aggregate state after the events; nil keeps the stored one.
    var snapshot: String?
    /// With no events: the version of the stream's event that had already done it.
    var existingVersion: Int64?
    var idempotency: Idempotency
    var reply: CommandReply

    /// Roughly what the command adds to a batch's statement, to bound a batch in bytes.
    var byteCount: Int {
        events.reduce(stream.utf8.count + (snapshot?.utf8.count ?? 0) + reply.body.utf8.count + idempotency.fingerprint.utf8.count) {
            $0 + $1.type.utf8.count + $1.data.utf8.count + $1.metadata.utf8.count
        }
    }

    /// The (caller, scope) pairs its reply is kept under: two commands sharing one never share
    /// a batch (the second is answered by the first's reply, in the next).
    var scopeKeys: [String] { idempotency.scopes.map { "\(idempotency.caller) \($0)" } }
}

/// What `run_commands` answered for one command.
struct BatchedCommandOutcome: Sendable, Equatable {
    enum Kind: String, Sendable {
        case appended, unchanged, replayed, conflict
        case keyReused = "key_reused"
    }

    var kind: Kind
    var firstPosition: Int64?
    var lastPosition: Int64?
    /// The stream's version after the command (appended, unchanged).
    var lastVersion: Int64?
    var reply: CommandReply?
}

/// `run_commands` (migrations/010_run_commands.sql): a batch of decided commands in one
/// statement, one outcome row per command, in order.
struct RunCommandsStatement: PostgresPreparedStatement {
    static let name = "tideline_run_commands"
    static let sql = """
        SELECT command, outcome, first_position, last_position, last_version, status, body
        FROM run_commands($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .textArray, .int8Array, .int4Array, .textArray, .textArray, .textArray, .textArray,
        .int8Array, .textArray, .textArray, .textArray, .textArray, .int4Array, .textArray,
    ]

    typealias Row = BatchedCommandOutcome

    var commands: [BatchedCommand]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 14)
        // '' and 0 stand for "none" (the function's arrays hold no NULLs).
        let events = commands.flatMap(\.events)
        bindings.append(commands.map(\.stream))
        bindings.append(commands.map(\.expectedVersion))
        bindings.append(commands.map { Int32($0.events.count) })
        bindings.append(events.map(\.type))
        bindings.append(events.map(\.data))
        bindings.append(events.map(\.metadata))
        bindings.append(commands.map { $0.snapshot ?? "" })
        bindings.append(commands.map { $0.existingVersion ?? 0 })
        bindings.append(commands.map(\.idempotency.caller))
        bindings.append(commands.map { $0.idempotency.keyScope ?? "" })
        bindings.append(commands.map { $0.idempotency.clientMessageScope ?? "" })
        bindings.append(commands.map(\.idempotency.fingerprint))
        bindings.append(commands.map { Int32($0.reply.status) })
        bindings.append(commands.map(\.reply.body))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (_, outcome, first, last, version, status, body) =
            try row.decode((Int32, String, Int64?, Int64?, Int64?, Int32?, String?).self)
        guard let kind = BatchedCommandOutcome.Kind(rawValue: outcome) else {
            preconditionFailure("run_commands answered an outcome it does not define: \(outcome)")
        }
        let reply = status.map { CommandReply(status: Int($0), body: body ?? "") }
        return Row(kind: kind, firstPosition: first, lastPosition: last, lastVersion: version, reply: reply)
    }
}
