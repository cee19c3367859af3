import Commands
import Domain
import EventStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Projections
import Realtime

/// What the route handlers share: the store, the read model, the command runner, the settings.
struct RouteContext: Sendable {
    let store: EventStore
    let readModel: ReadModel
    let runner: CommandRunner
    let typing: TypingRelay
    let presence: PresenceService
    let configuration: AppConfiguration
    let logger: Logger

    /// A path parameter that must be an identifier: anything else cannot exist, so it is 404.
    func identifier(_ context: TidelineRequestContext, _ name: String, kind: String) throws -> String {
        guard let value = context.parameters.get(name), Identifier.isValid(value) else {
            throw APIError.notFound("no such \(kind)")
        }
        return value
    }

    func body(_ request: Request, required: Bool = true) async throws -> JSONObject {
        try await RequestBody.object(request, limit: configuration.maxBodySize, required: required)
    }

    /// The stored aggregate state of a stream, for authorization checks on reads.
    func state<State: Decodable>(_ type: State.Type, stream: String) async throws -> State? {
        guard let snapshot = try await store.streamState(stream).snapshot else { return nil }
        return try JSONDecoder().decode(State.self, from: Data(snapshot.utf8))
    }
}

/// Generated ids: a prefix and a random UUID, always a valid identifier.
enum GeneratedID {
    static func make(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.lowercased())" }
}
