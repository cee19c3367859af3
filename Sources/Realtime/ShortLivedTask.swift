/// Runs `body` in a child task that ends with it, and returns what it returns.
///
/// A Swift task keeps the async stack it once needed until the task ends. A live connection's
/// task lives as long as the connection: if it once went deep (a PostgreSQL query through the
/// pool), every idle connection keeps kilobytes it will not use again (heaptrack, 5,000 idle SSE
/// streams: 2 KB slabs each under `PostgresClient.execute`, `leaseConnection`, `streamState`).
/// Deep work done here gives them back when it returns.
public func inShortLivedTask<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask(operation: body)
        // The group has exactly one task: next() returns its result or rethrows its error.
        return try await group.next()!
    }
}
