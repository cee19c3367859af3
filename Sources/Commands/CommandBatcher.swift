import Metrics
import PostgresNIO
import Synchronization

/// Group commit: the decided commands of this process go to the database in batches, one
/// transaction (one round trip, one sequencer turn, one commit) per batch.
///
/// There is no timer and no writer task. A command that finds fewer batches in flight than the
/// limit (two by default) sends itself at once, alone. Commands that arrive while the limit is
/// reached queue up; when a batch is answered, its sender hands the next batch (the queue's head
/// first, within the bounds) to the first command waiting, which sends it and answers the
/// others. So a lone command pays nothing, and under load each commit carries everything that
/// arrived while the others were in flight.
///
/// A batch holds each stream and each idempotency scope once: a command meeting a taken one
/// waits for the next batch (``StreamLocks`` already keeps a process's commands on one stream
/// apart; commands sharing a key or `client_msg_id` must not either, so the second is answered by
/// the first's stored reply).
///
/// One command's refusal is a row of its own (``BatchedCommandOutcome``). When the database
/// answers the whole statement with an error, it rolled everything back, and each command of the
/// batch is sent again alone, so a poisonous one cannot take the others down twice. When the
/// outcome is unknown (the connection was lost), nothing is sent again: every command of the
/// batch gets the error, as a command sent alone would.
///
/// Metrics: `tideline_command_batch_size` (commands per batch sent, a histogram) and
/// `tideline_command_batch_waiting` (commands waiting for the next batch now).
final class CommandBatcher: Sendable {

    /// The bounds of one batch (a single command larger than `maximumBytes` still goes, alone),
    /// and how many batches may be in flight at once.
    ///
    /// More than one in flight, because a batch can wait inside the database: for a stream
    /// another process is writing, or for as long as `lock_timeout` when something holds a
    /// stream's lock. With one, every command of the process would wait behind it.
    struct Limits: Sendable {
        var maximumCommands: Int
        var maximumBytes: Int
        var maximumInFlight: Int

        init(maximumCommands: Int = 64, maximumBytes: Int = 1 << 20, maximumInFlight: Int = 2) {
            precondition(maximumCommands >= 1 && maximumBytes >= 1 && maximumInFlight >= 1, "a batch must hold at least one command")
            self.maximumCommands = maximumCommands
            self.maximumBytes = maximumBytes
            self.maximumInFlight = maximumInFlight
        }
    }

    typealias Send = @Sendable (RunCommandsStatement) async throws -> [BatchedCommandOutcome]

    private let send: Send
    private let rolledBack: @Sendable (any Error) -> Bool
    private let state: Mutex<BatchQueue<Waiter>>
    private let sizes = Recorder(label: CommandBatchMetrics.sizeLabel, aggregate: true)
    private let waiting = Gauge(label: CommandBatchMetrics.waitingLabel)

    /// - Parameter rolledBack: whether an error of `send` means the statement certainly changed
    ///   nothing (by default: the server answered it with an error).
    init(
        limits: Limits = Limits(),
        rolledBack: @escaping @Sendable (any Error) -> Bool = { ($0 as? PSQLError)?.code == .server },
        send: @escaping Send
    ) {
        self.send = send
        self.rolledBack = rolledBack
        state = Mutex(BatchQueue(limits: limits))
    }

    /// How many commands wait for the next batch now.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Sends `command` in the next batch and returns its outcome.
    func run(_ command: BatchedCommand) async throws -> BatchedCommandOutcome {
        let idle = state.withLock { $0.startIfFree() }
        let turn: Turn = idle ? .lead(others: []) : await withCheckedContinuation { continuation in
            // Asked again under the lock: the batch in flight may have ended since.
            let leadNow = state.withLock { queue -> Bool in
                if queue.startIfFree() { return true }
                queue.enqueue(Waiter(command: command, continuation: continuation))
                waiting.record(queue.waiting.count)
                return false
            }
            if leadNow { continuation.resume(returning: .lead(others: [])) }
        }
        switch turn {
        case .answered(let outcome):
            return try outcome.get()
        case .sendAlone:
            return try await sendAlone(command)
        case .lead(let others):
            return try await lead(command, with: others)
        }
    }

    /// Sends a batch of `command` and `others`, hands the next batch on, and answers the others.
    private func lead(_ command: BatchedCommand, with others: [Waiter]) async throws -> BatchedCommandOutcome {
        sizes.record(others.count + 1)
        let sent: Result<[BatchedCommandOutcome], any Error>
        do {
            sent = .success(try await send(RunCommandsStatement(commands: [command] + others.map(\.command))))
        } catch {
            sent = .failure(error)
        }
        // The next batch goes while this one's answers are handed out.
        let next = state.withLock { queue in
            defer { waiting.record(queue.waiting.count) }
            return queue.finishAndTakeNext()
        }
        if let next, let leader = next.first {
            leader.continuation.resume(returning: .lead(others: Array(next.dropFirst())))
        }
        switch sent {
        case .success(let outcomes):
            precondition(outcomes.count == others.count + 1, "run_commands answers one row per command")
            for (waiter, outcome) in zip(others, outcomes.dropFirst()) {
                waiter.continuation.resume(returning: .answered(.success(outcome)))
            }
            return outcomes[0]
        case .failure(let error) where rolledBack(error) && !others.isEmpty:
            // Certainly rolled back: each goes again on its own.
            for waiter in others { waiter.continuation.resume(returning: .sendAlone) }
            return try await sendAlone(command)
        case .failure(let error):
            for waiter in others { waiter.continuation.resume(returning: .answered(.failure(error))) }
            throw error
        }
    }

    private func sendAlone(_ command: BatchedCommand) async throws -> BatchedCommandOutcome {
        guard let outcome = try await send(RunCommandsStatement(commands: [command])).first else {
            preconditionFailure("run_commands answers one row per command")
        }
        return outcome
    }

    struct Waiter: BatchQueueEntry {
        let command: BatchedCommand
        let continuation: CheckedContinuation<Turn, Never>
        var stream: String { command.stream }
        var scopeKeys: [String] { command.scopeKeys }
        var byteCount: Int { command.byteCount }
    }

    /// What a queued command is told to do.
    enum Turn: Sendable {
        /// Send the batch: this command first, then `others`, whom the sender answers.
        case lead(others: [Waiter])
        /// The batch it was in was answered.
        case answered(Result<BatchedCommandOutcome, any Error>)
        /// The batch it was in was rolled back by an error: go again, alone.
        case sendAlone
    }
}

/// The batcher's Prometheus families; the size histogram's buckets are for the server to set.
public enum CommandBatchMetrics {
    public static let sizeLabel = "tideline_command_batch_size"
    /// Powers of two, up to the largest batch the options allow by default and beyond.
    public static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    static let waitingLabel = "tideline_command_batch_waiting"
}

/// What the queue needs to know of a command to batch it.
protocol BatchQueueEntry: Sendable {
    var stream: String { get }
    var scopeKeys: [String] { get }
    var byteCount: Int { get }
}

/// The commands waiting for the next batch, and how many batches are in flight: the batcher's
/// state, as a value (it runs under the batcher's lock and is tested on its own). Commands wait
/// only while the limit of batches is in flight.
struct BatchQueue<Entry: BatchQueueEntry>: Sendable {
    let limits: CommandBatcher.Limits
    private(set) var inFlight = 0
    private(set) var waiting: [Entry] = []

    init(limits: CommandBatcher.Limits) {
        self.limits = limits
    }

    /// Counts a batch in flight if the limit allows one more; true when the caller is to send.
    mutating func startIfFree() -> Bool {
        guard inFlight < limits.maximumInFlight else { return false }
        precondition(waiting.isEmpty, "commands wait only while the limit of batches is in flight")
        inFlight += 1
        return true
    }

    mutating func enqueue(_ entry: Entry) {
        precondition(inFlight == limits.maximumInFlight, "a command waits only while the limit of batches is in flight")
        waiting.append(entry)
    }

    /// A batch in flight was answered: the next batch (which then takes its place), or nil when
    /// nobody waits. It takes waiting commands in arrival order within the bounds, passing over
    /// (and leaving first in line) any whose stream or scope the batch holds already.
    mutating func finishAndTakeNext() -> [Entry]? {
        precondition(inFlight > 0, "a batch was answered that was never counted")
        guard !waiting.isEmpty else {
            inFlight -= 1
            return nil
        }
        var batch: [Entry] = []
        var left: [Entry] = []
        var streams: Set<String> = []
        var scopes: Set<String> = []
        var bytes = 0
        for entry in waiting {
            let fits = batch.isEmpty
                || (batch.count < limits.maximumCommands && bytes + entry.byteCount <= limits.maximumBytes)
            if fits && !streams.contains(entry.stream) && scopes.isDisjoint(with: entry.scopeKeys) {
                batch.append(entry)
                streams.insert(entry.stream)
                scopes.formUnion(entry.scopeKeys)
                bytes += entry.byteCount
            } else {
                left.append(entry)
            }
        }
        waiting = left
        return batch
    }
}
