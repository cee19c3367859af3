import API
import EventStore
import Foundation
import Testing

/// A Python client generated from `openapi.yaml` (openapi-python-client, pinned) against a
/// real server: every REST route and the errors a client can cause parse into the models the
/// document promises, and an event page holding a type the document does not list still parses
/// (`scripts/check-generated-client`). Models generated from `asyncapi.yaml` resume a WebSocket
/// after a dropped connection as `docs/connections.md` says, with no gap and no duplicate
/// (`scripts/check-generated-ws-client`).
@Suite struct GeneratedClientTests {
    static let scripts = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts")

    @Test func aGeneratedClientParsesEveryRouteErrorAndEventPage() async throws {
        try await ServerProcess.withServer { database, port, _ in
            // An event of a type a later version might add, in the log every staff reader pages.
            try await TestDatabase.withClient(database) { client in
                try await EventStore(client: DatabasePool(client), logger: TestDatabase.logger).append(
                    [NewEvent(type: "audit.entry_written", data: #"{"entry":"1"}"#, metadata: #"{"actor":"ops","command_id":"a","correlation_id":"a","causation_id":null}"#)],
                    to: "audit-1", expectedVersion: .noStream
                )
            }
            let tokens = await TokenService(secret: TestServer.secret)
            let expiry = Date().addingTimeInterval(600)
            let script = Self.scripts.appendingPathComponent("check-generated-client")
            let result = try await Subprocess.run("/usr/bin/env", [
                "python3", script.path, "--server", "http://127.0.0.1:\(port)",
                "--token", try await tokens.sign(user: "alice", roles: [], expiresAt: expiry),
                "--other-token", try await tokens.sign(user: "bob", roles: [], expiresAt: expiry),
                "--staff-token", try await tokens.sign(user: "ops", roles: ["staff"], expiresAt: expiry),
                "--expect-unknown-type", "audit.entry_written",
            ])
            #expect(result.status == 0, "\(result.output)")
        }
    }

    @Test func modelsGeneratedFromAsyncAPIResumeAWebSocketWithNoGapAndNoDuplicate() async throws {
        try await ServerProcess.withServer { _, port, _ in
            let tokens = await TokenService(secret: TestServer.secret)
            let expiry = Date().addingTimeInterval(600)
            let result = try await Subprocess.run("/usr/bin/env", [
                "python3", Self.scripts.appendingPathComponent("check-generated-ws-client").path,
                "--server", "http://127.0.0.1:\(port)",
                "--token", try await tokens.sign(user: "alice", roles: [], expiresAt: expiry),
                "--other-token", try await tokens.sign(user: "bob", roles: [], expiresAt: expiry),
            ])
            #expect(result.status == 0, "\(result.output)")
        }
    }
}
