import EventStore
import Foundation

/// A PostgreSQL cluster of a test's own (`scripts/pg-cluster`, throwaway), for what must not
/// touch the shared test cluster: a fresh transaction counter (restores), or a long bulk load
/// whose open transaction would hold back every other test's readers (the frontier is
/// cluster-wide).
enum PrivateCluster {
    /// A running private cluster: a database's URL, and with TLS on, the CA that signed the
    /// server's certificate (for `localhost`).
    struct Instance {
        var url: DatabaseURL
        var certificateAuthority: String?
    }

    /// Starts a cluster, creates `database` in it, runs `body` with its URL, then destroys it.
    static func with<T>(database: String = "tideline", _ body: (DatabaseURL) async throws -> T) async throws -> T {
        try await with(database: database, tls: false) { try await body($0.url) }
    }

    /// Starts a cluster (TLS on when `tls`), creates `database`, runs `body`, then destroys it.
    static func with<T>(database: String = "tideline", tls: Bool, _ body: (Instance) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { _ = try? FileManager.default.removeItem(at: folder) }
        let cluster = folder.appendingPathComponent("pg").path
        let port = String(try ServerProcess.freePort())
        var environment = ["TIDELINE_PG_THROWAWAY": "1"]
        if tls { environment["TIDELINE_PG_TLS"] = "1" }
        let started = try await DevelopmentClusterTests.pgCluster(["start", cluster, port], environment: environment)
        guard started.status == 0 else { throw Failure(description: "pg-cluster start failed: \(started.output)") }
        do {
            let created = try await DevelopmentClusterTests.pgCluster(["createdb", cluster, port, database])
            guard created.status == 0 else { throw Failure(description: "pg-cluster createdb failed: \(created.output)") }
            let url = try await DevelopmentClusterTests.pgCluster(["url", cluster, port, database]).output
            let ca = tls ? try await DevelopmentClusterTests.pgCluster(["ca", cluster]).output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
            let result = try await body(Instance(url: try DatabaseURL(url.trimmingCharacters(in: .whitespacesAndNewlines)), certificateAuthority: ca))
            _ = try await DevelopmentClusterTests.pgCluster(["destroy", cluster])
            return result
        } catch {
            _ = try? await DevelopmentClusterTests.pgCluster(["destroy", cluster])
            throw error
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }
}
