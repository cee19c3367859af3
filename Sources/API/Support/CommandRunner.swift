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
/// responses are stored in the command's own statement (``CommandExecutor``): either the events
/// and the record commit together or neither does. A retry returns the stored response and
/// appends nothing; the same key with a different command is 409. Rejected commands store nothing.
struct CommandRunner: Sendable {
    let executor: CommandExecutor
    let ringer: DoorbellRinger
    let logger: Logger

    /// How a command names itself for idempotency.
    struct Idempotency: Sendable {
        /// From the `Idempotency-Key` header.
        var key: String?
        /// What the command was (method, path, canonical body), compared on a repeated key;
        /// empty without a key (a `client_msg_id` repeat counts as the same whatever it says).
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
            self.clientMessageScope = clientMessageScope
            guard key != nil else {
                fingerprint = ""
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let canonical = (try? String(decoding: encoder.encode(body), as: UTF8.self)) ?? ""
            fingerprint = "\(command)\n\(canonical)"
        }

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

    /// Runs the command; REST answers with `.response`, the WebSocket with an `ack` frame.
    /// - Parameter reply: the answer, given the id of the event the command appended (or of the
    ///   one that had already done it).
    /// - Parameter command: its name in metrics (`tideline_commands_total{command}`), e.g. `post_message`.
    func execute<State: Codable & Equatable & Sendable>(
        command: String,
        caller: Caller,
        idempotency: Idempotency,
        stream: String,
        evolve: @escaping (State?, DomainEvent, Int64) -> State?,
        decide: @escaping (State?) throws -> Decision,
        reply: (_ eventID: String) throws -> Reply
    ) async throws -> Reply {
        let metadata = CommandMetadata(actor: caller.user, commandID: UUID().uuidString.lowercased())
        let record = Commands.Idempotency(
            caller: caller.user, key: idempotency.key,
            clientMessageScope: idempotency.clientMessageScope, fingerprint: idempotency.fingerprint
        )
        let started = ContinuousClock.now
        func seconds() -> Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        let result: CommandResult
        do {
            result = try await executor.execute(
                stream: stream, metadata: metadata, idempotency: record, evolve: evolve, decide: decide,
                reply: { eventID in
                    let reply = try reply(eventID)
                    return CommandReply(status: Int(reply.status.code), body: reply.json)
                }
            )
        } catch {
            CommandMetrics.record(command, CommandMetrics.outcome(of: error), seconds: seconds())
            switch error {
            case CommandError.idempotencyKeyReused:
                throw APIError.conflict("this Idempotency-Key was already used for a different request")
            default:
                throw error
            }
        }
        switch result {
        case .executed(.appended(let events, _), let reply):
            ringer.ringAfterCommit()
            CommandMetrics.record(command, .appended, seconds: seconds(), eventsAppended: events.count)
            return Reply(status: HTTPResponse.Status(code: reply.status), json: reply.body)
        case .executed(.unchanged, let reply):
            CommandMetrics.record(command, .unchanged, seconds: seconds())
            return Reply(status: HTTPResponse.Status(code: reply.status), json: reply.body)
        case .replayed(let reply):
            CommandMetrics.record(command, .replayed, seconds: seconds())
            return Reply(status: HTTPResponse.Status(code: reply.status), json: reply.body, replayed: true)
        }
    }
}
