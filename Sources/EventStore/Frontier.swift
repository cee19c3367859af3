import Logging
import PostgresNIO

/// How far every reader of the log (live delivery, projections, reactions) may read, and what
/// holds it back. Readers see only events of transactions older than the oldest transaction
/// still running in the cluster, so one long transaction, in any database of the cluster,
/// holds back every later commit until it ends (docs/operations.md).
public struct Frontier: Sendable, Equatable {
    /// The newest position every reader may have seen.
    public var safeHead: Int64
    /// Committed events past the safe head, waiting for an older transaction to end.
    public var heldEvents: Int64
    /// How long the oldest held event has waited (0 when none is held).
    public var heldSeconds: Double
    /// The oldest transaction holding a transaction id, when the role may see it.
    public var oldestTransaction: Transaction?

    public struct Transaction: Sendable, Equatable, Encodable {
        public var pid: Int32
        public var applicationName: String
        /// `pg_stat_activity.state`: `idle in transaction` is the usual culprit.
        public var state: String
        public var database: String
        public var seconds: Double
    }
}

/// How far a checkpointed reader is behind the safe head.
public struct CheckpointLag: Sendable, Equatable {
    /// The checkpoint's name: `read_model`, `order_notifications`.
    public var reader: String
    /// Final positions past the reader's checkpoint.
    public var events: Int64
    /// The age of the oldest final event it has not handled (0 when caught up).
    public var seconds: Double
}

extension EventStore {
    /// Reads how far each checkpointed reader is behind (one statement).
    public func checkpointLags() async throws -> [CheckpointLag] {
        try await client.execute(CheckpointLagStatement(), logger: logger).map { name, events, seconds in
            CheckpointLag(reader: name, events: events, seconds: seconds)
        }
    }

    /// Reads the frontier (one statement on a pooled connection).
    public func frontier() async throws -> Frontier {
        guard let (head, held, heldSeconds, pid, application, state, database, seconds) = try await client.execute(
            FrontierStatement(), logger: logger
        ).first else {
            return Frontier(safeHead: 0, heldEvents: 0, heldSeconds: 0, oldestTransaction: nil)
        }
        let holder = pid.map {
            Frontier.Transaction(
                pid: $0, applicationName: application ?? "", state: state ?? "", database: database ?? "", seconds: seconds ?? 0
            )
        }
        return Frontier(safeHead: head, heldEvents: held, heldSeconds: heldSeconds, oldestTransaction: holder)
    }
}
