import Foundation

struct HangGuardTripped: Error, CustomStringConvertible {
    let description = "the server never ended what the test was waiting for"
}

/// Runs `body`, or cancels it and throws after `limit`: a test of a broken server fails rather
/// than hangs. Not a timing assertion: the limit is far above anything a working server needs.
@discardableResult
func withHangGuard<T: Sendable>(_ limit: Duration = .seconds(60), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw HangGuardTripped() }
        return value
    }
}
