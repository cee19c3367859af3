import EventStore
import Foundation
import Logging
import PostgresNIO

/// The shared presence tables (`migrations/007_presence.sql`) as one process uses them: its
/// heartbeat, its rows, and the other processes' rows. Every statement is one round trip.
struct PresenceTable: Sendable {
    static let channel = "tideline_presence"
    /// NOTIFY payloads are limited to 8000 bytes: beyond this, a change says "every room".
    static let payloadLimit = 7000

    let client: DatabasePool
    let process: UUID
    /// A process whose heartbeat is older than this is dead.
    let expiry: Duration
    let logger: Logger

    private var expirySeconds: Double { Double(expiry.components.seconds) + Double(expiry.components.attoseconds) / 1e18 }

    /// Renews this process's heartbeat. Returns false when the row had to be created: the
    /// process was taken for dead (or never registered) and its presence rows are gone.
    func heartbeat() async throws -> Bool {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                INSERT INTO presence_processes (process_id) VALUES (\(process))
                ON CONFLICT (process_id) DO UPDATE SET seen_at = clock_timestamp()
                RETURNING NOT (xmax = 0)
                """, logger: logger)
            for try await existed in rows.decode(Bool.self) { return existed }
            return false
        }
    }

    /// Deletes the processes whose heartbeat expired (their rows go with them) and, if there
    /// were any, tells every process to read presence again. Returns how many were deleted.
    func sweep() async throws -> Int {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                DELETE FROM presence_processes
                WHERE seen_at < clock_timestamp() - make_interval(secs => \(expirySeconds))
                RETURNING process_id
                """, logger: logger)
            var dead = 0
            for try await _ in rows { dead += 1 }
            if dead > 0 {
                _ = try await connection.query("SELECT pg_notify(\(Self.channel), \(notification(rooms: nil)))", logger: logger)
            }
            return dead
        }
    }

    /// Writes what changed locally and tells the other processes which rooms it touched.
    func write(present: [PresenceRoster.Row], absent: [PresenceRoster.Row]) async throws {
        guard !present.isEmpty || !absent.isEmpty else { return }
        let rooms = Set((present + absent).map(\.room))
        try await client.withConnection { connection in
            // The two sets never share a (room, user) pair: the roster nets them.
            _ = try await connection.query("""
                WITH gone AS (
                    DELETE FROM presence
                    WHERE process_id = \(process)
                      AND (room_id, user_id) IN (SELECT * FROM unnest(\(absent.map(\.room))::text[], \(absent.map(\.user))::text[]))
                ), added AS (
                    INSERT INTO presence (room_id, user_id, process_id)
                    SELECT room_id, user_id, \(process)
                    FROM unnest(\(present.map(\.room))::text[], \(present.map(\.user))::text[]) AS t(room_id, user_id)
                    ON CONFLICT DO NOTHING
                )
                SELECT pg_notify(\(Self.channel), \(notification(rooms: rooms)))
                """, logger: logger)
        }
    }

    /// Replaces every row of this process with `rows` (after it lost them), in one transaction.
    func replaceAll(with rows: [PresenceRoster.Row]) async throws {
        try await client.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection in
                _ = try await connection.query("DELETE FROM presence WHERE process_id = \(process)", logger: logger)
                _ = try await connection.query("""
                    INSERT INTO presence (room_id, user_id, process_id)
                    SELECT room_id, user_id, \(process)
                    FROM unnest(\(rows.map(\.room))::text[], \(rows.map(\.user))::text[]) AS t(room_id, user_id)
                    """, logger: logger)
                _ = try await connection.query("SELECT pg_notify(\(Self.channel), \(notification(rooms: nil)))", logger: logger)
            }
        }
    }

    /// The users other live processes have present in `rooms`.
    func remoteUsers(in rooms: Set<String>) async throws -> [String: Set<String>] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT p.room_id, p.user_id
                FROM presence p JOIN presence_processes s USING (process_id)
                WHERE p.room_id = ANY(\(Array(rooms))::text[]) AND p.process_id <> \(process)
                  AND s.seen_at >= clock_timestamp() - make_interval(secs => \(expirySeconds))
                """, logger: logger)
            var users: [String: Set<String>] = [:]
            for try await (room, user) in rows.decode((String, String).self) { users[room, default: []].insert(user) }
            return users
        }
    }

    /// Forgets this process (its rows go with it) and tells the others: a clean shutdown.
    func deregister() async throws {
        try await client.withConnection { connection in
            _ = try await connection.query("""
                WITH gone AS (DELETE FROM presence_processes WHERE process_id = \(process))
                SELECT pg_notify(\(Self.channel), \(notification(rooms: nil)))
                """, logger: logger)
        }
    }

    /// `<process id>` and the rooms, one per line; `*` for every room.
    func notification(rooms: Set<String>?) -> String {
        let list = rooms.map { $0.sorted().joined(separator: "\n") } ?? "*"
        return process.uuidString + "\n" + (list.utf8.count > Self.payloadLimit ? "*" : list)
    }

    /// What a notification says to this process.
    enum Notice: Equatable {
        case ownChange
        case rooms(Set<String>)
        case everyRoom
    }

    func notice(_ payload: String) -> Notice {
        var lines = payload.split(separator: "\n").map(String.init)
        guard !lines.isEmpty else { return .everyRoom }
        if lines.removeFirst() == process.uuidString { return .ownChange }
        return lines == ["*"] ? .everyRoom : .rooms(Set(lines))
    }
}
