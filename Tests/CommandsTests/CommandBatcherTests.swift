@testable import Commands
import Domain
import EventStore
import Synchronization
import Testing

/// The batcher's hand-over between tasks, with a stand-in for the database: a lone command is
/// sent at once, commands arriving meanwhile share the next statement and each gets its own row,
/// an error reply sends each again alone, and an unknown outcome is nobody's to retry.
@Suite struct CommandBatcherTests {
    func command(_ stream: String) -> BatchedCommand {
        BatchedCommand(
            stream: stream, expectedVersion: 0, events: [NewEvent(type: "t", data: "{}", metadata: "{}")],
            idempotency: Idempotency(caller: "ann", key: nil, clientMessageScope: nil, fingerprint: ""),
            reply: CommandReply(status: 201, body: stream)
        )
    }

    /// A database stand-in: records each statement's streams, answers each command with its
    /// stream as the reply, and holds the first statement until released.
    final class Database: Sendable {
        let sent = Mutex<[[String]]>([])
        let gate = AsyncGate()
        let failing: @Sendable ([String]) -> (any Error)?

        /// The streams of each statement sent, in order.
        var statements: [[String]] { sent.withLock { $0 } }

        init(failing: @escaping @Sendable ([String]) -> (any Error)? = { _ in nil }) {
            self.failing = failing
        }

        func send(_ statement: RunCommandsStatement) async throws -> [BatchedCommandOutcome] {
            let streams = statement.commands.map(\.stream)
            let first = sent.withLock { sent in sent.append(streams); return sent.count == 1 }
            if first { await gate.wait() }
            if let error = failing(streams) { throw error }
            return statement.commands.map { BatchedCommandOutcome(kind: .appended, firstPosition: 1, lastPosition: 1, lastVersion: 1, reply: $0.reply) }
        }
    }

    @Test func commandsArrivingWhileABatchIsInFlightShareTheNextAndEachGetsItsOwnAnswer() async throws {
        let database = Database()
        let batcher = CommandBatcher(limits: .init(maximumInFlight: 1)) { try await database.send($0) }
        try await withThrowingTaskGroup(of: (String, String?).self) { group in
            group.addTask { ("first", try await batcher.run(command("first")).reply?.body) }
            await database.gate.waitUntilWaiting()
            for name in ["a", "b", "c"] {
                group.addTask { (name, try await batcher.run(command(name)).reply?.body) }
            }
            try await waitUntil { batcher.waitingCount == 3 }
            database.gate.open()
            for try await (name, body) in group { #expect(body == name) }
        }
        #expect(database.statements == [["first"], ["a", "b", "c"]])
    }

    @Test func aBatchHeldInTheDatabaseDoesNotHoldUpTheNextLoneCommand() async throws {
        let database = Database()
        let batcher = CommandBatcher(limits: .init(maximumInFlight: 2)) { try await database.send($0) }
        try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask { try await batcher.run(command("held")).reply?.body }
            await database.gate.waitUntilWaiting()
            let next = try await batcher.run(command("next")).reply?.body
            #expect(next == "next")
            database.gate.open()
            let held = try await group.next()
            #expect(held == "held")
        }
        #expect(database.statements == [["held"], ["next"]])
    }

    @Test func anErrorReplySendsEachCommandOfTheBatchAgainAlone() async throws {
        struct ErrorReply: Error {}
        let database = Database { streams in streams.contains("poison") ? ErrorReply() : nil }
        let batcher = CommandBatcher(limits: .init(maximumInFlight: 1), rolledBack: { $0 is ErrorReply }) { try await database.send($0) }
        try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            group.addTask { ("first", (try? await batcher.run(command("first"))) != nil) }
            await database.gate.waitUntilWaiting()
            for name in ["a", "poison", "b"] {
                group.addTask { (name, (try? await batcher.run(command(name))) != nil) }
            }
            try await waitUntil { batcher.waitingCount == 3 }
            database.gate.open()
            var succeeded: [String: Bool] = [:]
            for try await (name, ok) in group { succeeded[name] = ok }
            #expect(succeeded == ["first": true, "a": true, "b": true, "poison": false])
        }
        let sent = database.statements
        #expect(sent.prefix(2) == [["first"], ["a", "poison", "b"]])
        #expect(Set(sent.dropFirst(2)) == [["a"], ["poison"], ["b"]])
    }

    @Test func anUnknownOutcomeIsReportedToEveryCommandAndNothingIsSentAgain() async throws {
        struct ConnectionLost: Error {}
        let database = Database { streams in streams.count > 1 ? ConnectionLost() : nil }
        let batcher = CommandBatcher(limits: .init(maximumInFlight: 1)) { try await database.send($0) }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await batcher.run(command("first"))) != nil }
            await database.gate.waitUntilWaiting()
            for name in ["a", "b"] {
                group.addTask { (try? await batcher.run(command(name))) != nil }
            }
            try await waitUntil { batcher.waitingCount == 2 }
            database.gate.open()
            var succeeded = 0
            for try await ok in group where ok { succeeded += 1 }
            #expect(succeeded == 1, "only the first batch, before the connection was lost")
        }
        #expect(database.statements == [["first"], ["a", "b"]])
    }

    /// Polls a condition the test cannot be told of (how many commands wait); no assertion on time.
    func waitUntil(_ condition: () -> Bool) async throws {
        while !condition() { try await Task.sleep(for: .milliseconds(1)) }
    }
}

/// A gate tasks wait at until it opens; `waitUntilWaiting` returns once one waits.
final class AsyncGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: [CheckedContinuation<Void, Never>], count: Int)>((false, [], [], 0))

    func wait() async {
        await withCheckedContinuation { continuation in
            let (resumeNow, arrived) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.count += 1
                let arrived = state.arrived
                state.arrived = []
                if state.open { return (true, arrived) }
                state.waiters.append(continuation)
                return (false, arrived)
            }
            for waiter in arrived { waiter.resume() }
            if resumeNow { continuation.resume() }
        }
    }

    func waitUntilWaiting() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.count > 0 { return true }
                state.arrived.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
