import EventStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import Prometheus

/// Routes outside `/v1`, without auth: health, readiness, metrics and the API descriptions.
struct OperationalRoutes: Sendable {
    let store: EventStore
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
            let frontier: Frontier
            do {
                frontier = try await store.frontier()
            } catch {
                throw APIError.unavailable("the database is not reachable", retryAfter: 1)
            }
            // Held events do not make the process unready: every process of the cluster is held
            // alike, and taking them all out of service would not end the transaction.
            return try JSONResponse.make(.ok, ReadyReport(status: "ready", frontier: .init(frontier)))
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

/// The body of `/ready`: the readers' frontier, for an operator looking at a stall.
struct ReadyReport: Encodable {
    struct FrontierReport: Encodable {
        /// An event id, a decimal string as everywhere in the API.
        var safeHead: String
        var heldEvents: Int64
        var heldSeconds: Double
        var oldestTransaction: Frontier.Transaction?

        init(_ frontier: Frontier) {
            safeHead = String(frontier.safeHead)
            heldEvents = frontier.heldEvents
            heldSeconds = (frontier.heldSeconds * 1000).rounded() / 1000
            oldestTransaction = frontier.oldestTransaction
        }
    }

    var status: String
    var frontier: FrontierReport
}
