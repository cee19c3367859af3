import Commands
import Domain
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO

/// Runs a command for a request with the contract's idempotency, and announces its commit.
///
/// `Idempotency-Key` (24 h, same caller) and `client_msg_id` (for good, same author and room)
/// responses are stored in the command's own transaction: either the events and the record
/// commit together or neither does. A retry returns the stored response and appends nothing;
/// the same key with a different command is 409. Rejected commands store nothing.
struct CommandRunner: Sendable {
    let client: PostgresClient
    let ringer: DoorbellRinger
    let logger: Logger

    /// How a command names itself for idempotency.
    struct Idempotency: Sendable {
        /// From the `Idempotency-Key` header.
        var key: String?
        /// What the command was (method, path, canonical body), compared on a repeated key.
        var fingerprint: String
        /// `client_msg:<room>:<id>` for messages that carry a `client_msg_id`.
        var clientMessageScope: String?

        init(request: Request, body: JSONObject, clientMessageScope: String? = nil) throws {
            // Already checked by IdempotencyKeyMiddleware; checked again so this type stands alone.
            let key = request.headers[IdempotencyKeyMiddleware<TidelineRequestContext>.headerName]
            if let key, !IdempotencyKey.isValid(key) {
                throw APIError.malformed("Idempotency-Key must be 1-128 printable ASCII characters")
            }
            self.init(key: key, command: "\(request.method) \(request.uri.path)", body: body, clientMessageScope: clientMessageScope)
        }

        /// - Parameter command: what the command is, e.g. `POST /v1/rooms/general/messages`.
        init(key: String?, command: String, body: JSONObject, clientMessageScope: String?) {
            self.key = key
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let canonical = (try? String(decoding: encoder.encode(body), as: UTF8.self)) ?? ""
            fingerprint = "\(command)\n\(canonical)"
            self.clientMessageScope = clientMessageScope
        }

        var scopes: [String] { [key.map { "key:\($0)" }, clientMessageScope].compactMap { $0 } }
    }

    /// The response a command produced, as stored for replays.
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var json: String
        /// Whether this is the stored answer to an earlier, identical command.
        var replayed = false

        var response: Response {
            var response = JSONResponse.make(status, json: json)
            if replayed { response.headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
            return response
        }
    }

    private struct DuplicateInFlight: Error {}

    /// Runs the command; REST answers with `.response`, the WebSocket with an `ack` frame.
    func execute<State: Codable & Equatable & Sendable>(
        caller: Caller,
        idempotency: Idempotency,
        stream: String,
        evolve: (State?, DomainEvent, Int64) -> State?,
        decide: (State?) throws -> Decision,
        reply: (CommandOutcome, PostgresConnection) async throws -> Reply
    ) async throws -> Reply {
        if let stored = try await storedReply(caller: caller, idempotency: idempotency) { return stored }
        let metadata = CommandMetadata(actor: caller.user, commandID: UUID().uuidString.lowercased())
        do {
            let (outcome, reply) = try await client.withConnection { connection in
                try await connection.withTransaction(logger: logger) { connection in
                    try await CommandExecutor.execute(
                        stream: stream, metadata: metadata, evolve: evolve,
                        on: connection, logger: logger, decide: decide
                    ) { connection, outcome in
                        let reply = try await reply(outcome, connection)
                        try await record(reply, caller: caller, idempotency: idempotency, on: connection)
                        return reply
                    }
                }
            }
            if case .appended = outcome { ringer.ringAfterCommit() }
            return reply
        } catch is DuplicateInFlight {
            // The same key or client_msg_id committed meanwhile: answer what it answered.
            if let stored = try await storedReply(caller: caller, idempotency: idempotency) { return stored }
            throw APIError.conflict("a concurrent request with the same idempotency key is in progress")
        }
    }

    private func storedReply(caller: Caller, idempotency: Idempotency) async throws -> Reply? {
        let scopes = idempotency.scopes
        guard !scopes.isEmpty else { return nil }
        let rows = try await client.query(
            """
            SELECT scope, coalesce(fingerprint = md5(\(idempotency.fingerprint)), true), status, body
            FROM command_responses
            WHERE caller = \(caller.user) AND scope = ANY(\(scopes))
              AND (expires_at IS NULL OR expires_at > now())
            """,
            logger: logger
        )
        var found: [String: (sameCommand: Bool, status: Int, body: String)] = [:]
        for try await (scope, sameCommand, status, body) in rows.decode((String, Bool, Int, String).self) {
            found[scope] = (sameCommand, status, body)
        }
        // The key is checked first: reusing it for another command is the client's bug to hear about.
        for scope in scopes {
            guard let stored = found[scope] else { continue }
            if !stored.sameCommand {
                throw APIError.conflict("this Idempotency-Key was already used for a different request")
            }
            return Reply(status: HTTPResponse.Status(code: stored.status), json: stored.body, replayed: true)
        }
        return nil
    }

    private func record(_ reply: Reply, caller: Caller, idempotency: Idempotency, on connection: PostgresConnection) async throws {
        for scope in idempotency.scopes {
            let isKey = scope.hasPrefix("key:")
            let fingerprint: String? = isKey ? idempotency.fingerprint : nil
            let rows = try await connection.query(
                """
                INSERT INTO command_responses AS r (caller, scope, fingerprint, status, body, expires_at)
                VALUES (\(caller.user), \(scope), md5(\(fingerprint)), \(Int(reply.status.code)), \(reply.json),
                        CASE WHEN \(isKey) THEN now() + interval '24 hours' END)
                ON CONFLICT (caller, scope) DO UPDATE
                    SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status, body = EXCLUDED.body,
                        created_at = now(), expires_at = EXCLUDED.expires_at
                    WHERE r.expires_at IS NOT NULL AND r.expires_at <= now()
                RETURNING 1
                """,
                logger: logger
            )
            var inserted = false
            for try await _ in rows.decode(Int.self) { inserted = true }
            if !inserted { throw DuplicateInFlight() }
        }
    }
}
