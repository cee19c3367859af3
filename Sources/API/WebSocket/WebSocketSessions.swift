import ServiceLifecycle
import Synchronization

/// The process's open WebSocket sessions, so that shutdown can close them with 1001 ("going
/// away: reconnect and resume") before the server quiesces.
///
/// Why a service of its own: swift-websocket closes every socket with 1000 from its own
/// graceful-shutdown handler. Placed after the application in the outer service group, this
/// service hears about shutdown first (services stop in reverse order) and closes the
/// sessions itself, waiting a bounded time for them to finish.
public final class WebSocketSessions: Service {
    private struct Registry {
        var nextID = 0
        var closers: [Int: @Sendable () -> Void] = [:]
    }

    private let registry = Mutex(Registry())
    private let drainTimeout: Duration

    public init(drainTimeout: Duration = .seconds(3)) {
        self.drainTimeout = drainTimeout
    }

    /// Registers a session's way to close itself with 1001; returns its id for ``remove(_:)``.
    func add(closeGoingAway: @escaping @Sendable () -> Void) -> Int {
        registry.withLock { registry in
            defer { registry.nextID += 1 }
            registry.closers[registry.nextID] = closeGoingAway
            return registry.nextID
        }
    }

    func remove(_ id: Int) {
        _ = registry.withLock { $0.closers.removeValue(forKey: id) }
    }

    var count: Int { registry.withLock { $0.closers.count } }

    public func run() async throws {
        try? await gracefulShutdown()
        let closers = registry.withLock { Array($0.closers.values) }
        for close in closers { close() }
        let deadline = ContinuousClock.now + drainTimeout
        while count > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
