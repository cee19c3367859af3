import EventStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Typing indicators: ephemeral signals, never stored, relayed to every server process through
/// PostgreSQL NOTIFY on a channel of their own (contract sections 1 and 7).
///
/// Sending side: `started` goes out at most once per 2 s per user and room (the excess is
/// dropped, not an error); a `stopped` that follows a relayed `started` always goes out.
/// Receiving side (every process): signals reach the room's local subscribers, and a `started`
/// not renewed within 5 s becomes a `stopped`, so clients need no timers.
public final class TypingRelay: Service {
    public static let channel = "tideline_typing"
    static let throttleInterval: Duration = .seconds(2)
    static let expiry: Duration = .seconds(5)

    typealias Key = TypingThrottle<ContinuousClock.Instant>.Key

    let client: DatabasePool
    let hub: Hub
    let logger: Logger
    private let clock = ContinuousClock()
    /// What this process has relayed, so it relays no more than it must.
    private let throttle = Mutex(TypingThrottle<ContinuousClock.Instant>(throttle: TypingRelay.throttleInterval, expiry: TypingRelay.expiry))
    /// When each received `started` expires.
    private let active = Mutex<[Key: ContinuousClock.Instant]>([:])

    public init(client: DatabasePool, hub: Hub, logger: Logger) {
        self.client = client
        self.hub = hub
        self.logger = logger
    }

    /// A user's typing signal for a room (already authorised). Relays it unless throttled.
    public func signal(room: String, user: String, started: Bool) async {
        let now = clock.now
        guard throttle.withLock({ $0.shouldRelay(room: room, user: user, started: started, now: now) }) else { return }
        let payload = #"{"room":\#(jsonString(room)),"user":\#(jsonString(user)),"state":"\#(started ? "started" : "stopped")"}"#
        do {
            try await client.run("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
        } catch {
            // Ephemeral by design: a lost signal is corrected by the next one or by expiry.
            logger.warning("typing NOTIFY failed", metadata: ["error": "\(LoggableError(error))"])
        }
    }

    /// A signal from any process (the NOTIFY listener calls this).
    public func received(_ payload: String) {
        struct Signal: Decodable { var room: String; var user: String; var state: String }
        guard let signal = try? JSONDecoder().decode(Signal.self, from: Data(payload.utf8)),
              signal.state == "started" || signal.state == "stopped"
        else { return }
        let key = Key(room: signal.room, user: signal.user)
        let deadline = clock.now + Self.expiry
        active.withLock { active in
            if signal.state == "started" { active[key] = deadline } else { active[key] = nil }
        }
        hub.publishTyping(room: signal.room, user: signal.user, state: signal.state)
    }

    /// Expires `started` signals that were not renewed, and prunes what the throttle remembers.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(250))
            let now = clock.now
            let expired = active.withLock { active -> [Key] in
                let expired = active.filter { $0.value <= now }.map(\.key)
                for key in expired { active[key] = nil }
                return expired
            }
            for key in expired { hub.publishTyping(room: key.room, user: key.user, state: "stopped") }
            throttle.withLock { $0.prune(now: now) }
        }
    }
}
