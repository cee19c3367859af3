import Synchronization

/// Where a request's time went, stage by stage, for the `Server-Timing` response header
/// (`--server-timing`): the API edge sets a recorder for the request's task, and the stages
/// record into it. Without a recorder, recording is a task-local read and nothing more.
public final class StageTimes: Sendable {
    /// The recorder of the request this task serves, if timing is on.
    @TaskLocal public static var current: StageTimes?

    private let stages = Mutex<[(name: String, duration: Duration)]>([])

    public init() {}

    /// Adds `duration` to the stage `name` (a stage may be entered several times).
    public func add(_ name: String, _ duration: Duration) {
        stages.withLock { stages in
            if let index = stages.firstIndex(where: { $0.name == name }) {
                stages[index].duration += duration
            } else {
                stages.append((name, duration))
            }
        }
    }

    /// Runs `body` and adds its duration to the stage `name` of the current recorder, if any.
    public static func measure<Result>(_ name: String, _ body: () async throws -> Result) async rethrows -> Result {
        guard let current else { return try await body() }
        let clock = ContinuousClock()
        let start = clock.now
        defer { current.add(name, clock.now - start) }
        return try await body()
    }

    /// The synchronous twin of ``measure(_:_:)-swift.type.method``.
    public static func measure<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
        guard let current else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now
        defer { current.add(name, clock.now - start) }
        return try body()
    }

    /// The header value: `auth;dur=0.031, decide;dur=0.012`, in milliseconds, in recording order.
    public func headerValue(adding extra: [(name: String, duration: Duration)] = []) -> String {
        (stages.withLock { $0 } + extra).map { stage in
            let milliseconds = Double(stage.duration.components.seconds) * 1_000
                + Double(stage.duration.components.attoseconds) / 1e15
            return "\(stage.name);dur=\((milliseconds * 1000).rounded() / 1000)"
        }.joined(separator: ", ")
    }
}
