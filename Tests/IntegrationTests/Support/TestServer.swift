import API
import Domain
import EventStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// The real application on a fresh database, served on a random local port, with a small JSON
/// client: what a test sees is what a client of the API sees.
struct TestServer {
    static let secret = "test-secret-that-is-long-enough-for-hs256-0123456789"
    let database: DatabaseURL
    let client: any TestClientProtocol
    let tokens: TokenService

    /// Runs `body` against a live server. `configure` adjusts the configuration first.
    static func run(
        database: DatabaseURL? = nil,
        configure: (inout AppConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let ownsDatabase = database == nil
        let database = if let database { database } else { try await TestDatabase.create() }
        var configuration = AppConfiguration(database: database, jwtSecret: secret, migrationsDirectory: TestDatabase.migrationsDirectory)
        configuration.port = 0
        configuration.developmentMode = true
        // Dozens of servers share the test cluster's connections: 8 for commands and 3 for the
        // log readers keep each server near the 10 it used when one pool served both.
        configuration.databasePoolSize = 8
        configuration.readerPoolSize = 3
        // Tests send bursts of commands as one user; the limit has a test of its own.
        configuration.commandRate = 10_000
        configuration.commandBurst = 10_000
        // Load tests open hundreds of streams as one user; the caps have a test of their own.
        configuration.maxStreamsPerUser = 10_000
        configure(&configuration)
        let app = try await buildApplication(configuration: configuration, logger: TestDatabase.logger)
        let tokens = await TokenService(secret: secret)
        do {
            try await app.test(.live) { client in
                try await body(TestServer(database: database, client: client, tokens: tokens))
            }
        } catch {
            if ownsDatabase { await TestDatabase.drop(database) }
            throw error
        }
        if ownsDatabase { await TestDatabase.drop(database) }
    }

    /// A valid token for `user`.
    func token(_ user: String, staff: Bool = false, expiresIn: TimeInterval = 3600) async throws -> String {
        try await tokens.sign(user: user, roles: staff ? ["staff"] : [], expiresAt: Date().addingTimeInterval(expiresIn))
    }

    /// What came back: the status, the headers and the body parsed as JSON (`.null` when empty).
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var json: JSONValue
        var text: String

        subscript(key: String) -> JSONValue? {
            guard case .object(let object) = json else { return nil }
            return object[key]
        }

        func string(_ key: String) -> String? {
            guard case .string(let value)? = self[key] else { return nil }
            return value
        }

        /// The problem+json `code`.
        var code: String? { string("code") }
    }

    func request(
        _ method: HTTPRequest.Method, _ path: String, as user: String? = nil, staff: Bool = false,
        json: String? = nil, headers: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = headers
        if let user { headers[.authorization] = "Bearer \(try await token(user, staff: staff))" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let text = String(buffer: response.body)
        let parsed = text.isEmpty ? JSONValue.null : (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
        return Reply(status: response.status, headers: response.headers, json: parsed, text: text)
    }

    func post(_ path: String, as user: String?, staff: Bool = false, json: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await request(.post, path, as: user, staff: staff, json: json, headers: headers)
    }

    func get(_ path: String, as user: String?, staff: Bool = false) async throws -> Reply {
        try await request(.get, path, as: user, staff: staff)
    }

    /// Creates a room as `user` and returns the reply (201 expected).
    @discardableResult
    func createRoom(_ roomID: String, by user: String, visibility: String = "public") async throws -> Reply {
        try await post("/v1/rooms", as: user, json: #"{"room_id":"\#(roomID)","visibility":"\#(visibility)"}"#)
    }

    /// A unique identifier for this test's rooms, orders and users.
    static func uniqueID(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
