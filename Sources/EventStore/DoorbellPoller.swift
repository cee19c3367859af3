import ServiceLifecycle

/// The polling fallback: rings the local doorbell at a fixed interval, so that a reader catches
/// up within that interval even if every notification was lost.
public struct DoorbellPoller: Service {
    let doorbell: Doorbell
    let interval: Duration

    public init(doorbell: Doorbell, interval: Duration) {
        self.doorbell = doorbell
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            doorbell.ring()
        }
    }
}
