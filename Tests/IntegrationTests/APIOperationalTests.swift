import Domain
import Foundation
import HTTPTypes
import Testing

/// The operational routes outside `/v1`, without auth, and the answer to an unknown route.
@Suite struct APIOperationalTests {
    @Test func healthAnswersWithoutAToken() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/health", as: nil)
            #expect(reply.status == .ok, "\(reply.text)")
        }
    }

    @Test func readyAnswersOnceTheListenerIsConnected() async throws {
        try await TestServer.run { server in
            // The notification listener connects asynchronously after start-up.
            let ready = try await eventually { () async throws -> TestServer.Reply? in
                let reply = try await server.get("/ready", as: nil)
                return reply.status == .ok ? reply : nil
            }
            #expect(ready != nil, "GET /ready never answered 200")
        }
    }

    @Test func metricsAnswerWithoutAToken() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/metrics", as: nil)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.mediaType == "text/plain")
        }
    }

    @Test func theOpenAPIDescriptionIsServedAsYAML() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/openapi.yaml", as: nil)
            #expect(reply.status == .ok)
            #expect(reply.mediaType.contains("yaml"), "\(reply.mediaType)")
            #expect(reply.text.hasPrefix("openapi: 3"))
        }
    }

    @Test func theAsyncAPIDescriptionIsServedAsYAML() async throws {
        try await TestServer.run { server in
            let reply = try await server.get("/asyncapi.yaml", as: nil)
            #expect(reply.status == .ok)
            #expect(reply.mediaType.contains("yaml"), "\(reply.mediaType)")
            #expect(reply.text.hasPrefix("asyncapi: 3"))
        }
    }

    @Test func anUnknownRouteIsANotFoundProblem() async throws {
        try await TestServer.run { server in
            expectProblem(try await server.get("/no-such-route", as: nil), .notFound, "not_found")
            expectProblem(try await server.get("/v1/no-such-route", as: "alice"), .notFound, "not_found")
        }
    }
}
