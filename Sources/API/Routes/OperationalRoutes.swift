import EventStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Prometheus

/// Routes outside `/v1`, without auth: health, readiness, metrics and the API descriptions.
struct OperationalRoutes: Sendable {
    let client: PostgresClient
    let listener: DoorbellListener
    let metrics: PrometheusCollectorRegistry?
    let logger: Logger

    func add(to router: Router<TidelineRequestContext>) {
        router.get("health") { _, _ in
            JSONResponse.make(.ok, json: #"{"status":"ok"}"#)
        }
        router.get("ready") { _, _ in
            guard listener.isConnected else {
                throw APIError.unavailable("the event notification listener is not connected", retryAfter: 1)
            }
            do {
                try await client.query("SELECT 1", logger: logger)
            } catch {
                throw APIError.unavailable("the database is not reachable", retryAfter: 1)
            }
            return JSONResponse.make(.ok, json: #"{"status":"ready"}"#)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics?.emitToBuffer() ?? []))
            )
        }
        for name in ["openapi", "asyncapi"] {
            let document = Self.loadDocument(name)
            router.get("\(name).yaml") { _, _ in
                guard let document else { throw APIError.notFound("\(name).yaml is not bundled with this build") }
                return Response(
                    status: .ok,
                    headers: [.contentType: "application/yaml; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: document))
                )
            }
        }
    }

    static func loadDocument(_ name: String) -> String? {
        guard let url = Bundle.module.url(forResource: name, withExtension: "yaml") else { return nil }
        return try? String(contentsOf: url, encoding: .utf8)
    }
}
