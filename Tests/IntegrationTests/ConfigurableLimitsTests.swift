import Foundation
import Testing

/// The contract's limits are defaults the operator can change (options and environment), and
/// the server enforces what it was told.
@Suite struct ConfigurableLimitsTests {
    @Test func aStreamNamingMoreTopicsThanConfiguredIsRefused() async throws {
        try await TestServer.run(configure: { $0.maxTopics = 2 }) { server in
            let token = try await server.token("alice", staff: true)
            let refused = try await SSEClient.open(port: server.client.port!, path: "/v1/stream?topics=orders,notifications,room:a", token: token)
            #expect(refused.status.code == 422)
            let accepted = try await SSEClient.open(port: server.client.port!, path: "/v1/stream?topics=orders,notifications", token: token)
            #expect(accepted.status == .ok)
        }
    }

    @Test func limitsOutOfRangeAreRefusedAtStartUp() async throws {
        let database = try TestDatabase.serverURL()
        for (option, value) in [
            ("--max-topics", "0"), ("--max-frame-bytes", "10"), ("--ws-frame-rate", "0"), ("--sse-keep-alive", "-1"),
            ("--command-batch", "0"), ("--command-batch-bytes", "0"), ("--command-batches-in-flight", "0"),
        ] {
            let refused = try await withHangGuard {
                try await ServerProcess.run(["serve", "--port", "0", option, value], database: database)
            }
            #expect(refused.status != 0, "\(option) \(value) was accepted: \(refused.output)")
        }
    }
}
