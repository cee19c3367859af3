import EventStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Presence across server processes (contract section 9): the I/O around the hub's
/// ``PresenceRoster``.
///
/// Every `flushInterval` (200 ms) it writes this process's changes to the shared table, reads
/// the rooms other processes changed (they say which through NOTIFY), and lets the hub send one
/// frame per room and subscriber for everything since the last round: that is the coalescing.
/// Every quarter of the expiry it renews this process's heartbeat, deletes processes whose
/// heartbeat expired (a killed process stops counting within the expiry plus a quarter), and
/// reads every watched room again, which also repairs a missed notification.
public final class PresenceService: Service {
    public static let channel = PresenceTable.channel

    let hub: Hub
    let table: PresenceTable
    let flushInterval: Duration
    let logger: Logger
    /// Rooms other processes changed since the last round (`nil` inside: every room).
    private let noticed = Mutex<(rooms: Set<String>, everyRoom: Bool)>(([], false))
    /// The table lost (or may have lost) this process's rows: write them all again.
    private let needsResync = Atomic<Bool>(false)

    /// - Parameters:
    ///   - expiry: a process whose heartbeat is older is dead (20 s: a killed process's users
    ///     leave within 25 s).
    ///   - flushInterval: how often changes are written and sent (coalescing them).
    public init(client: DatabasePool, hub: Hub, logger: Logger, expiry: Duration = .seconds(20), flushInterval: Duration = .milliseconds(200)) {
        self.hub = hub
        self.table = PresenceTable(client: client, process: UUID(), expiry: expiry, logger: logger)
        self.flushInterval = flushInterval
        self.logger = logger
    }

    /// A notification from any process (the NOTIFY listener calls this).
    public func received(_ payload: String) {
        switch table.notice(payload) {
        case .ownChange: return
        case .rooms(let rooms): noticed.withLock { $0.rooms.formUnion(rooms) }
        case .everyRoom: noticed.withLock { $0.everyRoom = true }
        }
    }

    /// Everyone present in `room` now, on any process (for `GET /v1/rooms/{id}/presence`).
    public func users(in room: String) async throws -> [String] {
        let remote = try await table.remoteUsers(in: [room])[room, default: []]
        return hub.withPresence { $0.localUsers(in: room) }.union(remote).sorted()
    }

    public func run() async throws {
        let heartbeatEvery = table.expiry / 4
        var nextHeartbeat = ContinuousClock.now
        var registered = false
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if ContinuousClock.now >= nextHeartbeat {
                nextHeartbeat = ContinuousClock.now + heartbeatEvery
                registered = await keepAlive(firstTime: !registered) || registered
            }
            if registered { await round() }
            try? await Task.sleep(for: flushInterval)
        }
        if registered {
            // The other processes see these users leave now, not after the expiry.
            do { try await table.deregister() } catch {
                logger.warning("presence: could not deregister", metadata: ["error": "\(LoggableError(error))"])
            }
        }
    }

    /// Renews the heartbeat and deletes dead processes; every watched room is read again.
    /// Returns whether the process is registered.
    private func keepAlive(firstTime: Bool) async -> Bool {
        do {
            let existed = try await table.heartbeat()
            if !existed && !firstTime {
                logger.warning("presence: this process was taken for dead; writing its presence again")
                needsResync.store(true, ordering: .relaxed)
            }
            let dead = try await table.sweep()
            if dead > 0 { logger.info("presence: removed processes whose heartbeat expired", metadata: ["processes": "\(dead)"]) }
            noticed.withLock { $0.everyRoom = true }
            return true
        } catch {
            logger.warning("presence: heartbeat failed", metadata: ["error": "\(LoggableError(error))"])
            return false
        }
    }

    /// One round: write, read, tell.
    private func round() async {
        do {
            if needsResync.exchange(false, ordering: .relaxed) {
                _ = hub.withPresence { $0.takeWrites() }
                try await table.replaceAll(with: hub.withPresence { $0.localRows })
            } else {
                let writes = hub.withPresence { $0.takeWrites() }
                try await table.write(present: writes.present, absent: writes.absent)
            }
        } catch {
            // The taken writes are lost with the failed statement: write everything next round.
            needsResync.store(true, ordering: .relaxed)
            logger.warning("presence: writing failed", metadata: ["error": "\(LoggableError(error))"])
        }
        let changed = noticed.withLock { noticed in
            defer { noticed = ([], false) }
            return noticed.everyRoom ? nil : noticed.rooms
        }
        if changed != [] { hub.withPresence { $0.remoteChanged(changed) } }
        let rooms = hub.withPresence { $0.roomsToRead }
        if !rooms.isEmpty {
            do {
                let users = try await table.remoteUsers(in: rooms)
                hub.withPresence { $0.setRemote(users, for: rooms) }
            } catch {
                logger.warning("presence: reading failed", metadata: ["error": "\(LoggableError(error))"])
            }
        }
        hub.flushPresence()
    }
}
