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

    @Test func theBrowserPageIsServedWithAStrictContentSecurityPolicy() async throws {
        try await TestServer.run { server in
            for (path, type) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css")] {
                let page = try await server.get(path, as: nil)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.hasPrefix("default-src 'self'") == true)
                #expect(!page.text.isEmpty)
                // HEAD: the same headers, no body.
                let head = try await server.request(.head, path)
                #expect(head.status == .ok, "HEAD \(path)")
                #expect(head.headers[.contentLength] == String(page.text.utf8.count))
                #expect(head.text.isEmpty)
            }
            #expect(try await server.get("/", as: nil).text.contains(#"<script type="module" src="/app.js""#))
            // The modules app.js imports; a name that could leave the folder is not one.
            let module = try await server.get("/js/chat.js", as: nil)
            #expect(module.status == .ok)
            #expect(module.headers[.contentType]?.hasPrefix("text/javascript") == true)
            for path in ["/js/no-such-module.js", "/js/..%2Fapp.js", "/js/Chat.js", "/js/chat.css"] {
                #expect(try await server.get(path, as: nil).status == .notFound, "\(path)")
            }
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
