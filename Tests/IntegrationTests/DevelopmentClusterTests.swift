import EventStore
import Foundation
import PostgresNIO
import Testing

/// The private cluster of `scripts/run` and `scripts/test` (`scripts/pg-cluster`): a password,
/// not `trust`, and hands off any data folder it did not create.
@Suite struct DevelopmentClusterTests {
    static var script: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/pg-cluster")
    }

    /// Runs `scripts/pg-cluster ARGUMENTS` and returns its exit status and output.
    static func pgCluster(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        try await Subprocess.run("/bin/bash", [script.path] + arguments, environment: environment)
    }

    @Test func theClusterRefusesTheSuperuserWithoutItsPassword() async throws {
        var url = try TestDatabase.serverURL()
        #expect(url.password != nil, "the test cluster's URL carries no password")
        url.password = nil
        await #expect(throws: (any Error).self) {
            try await TestDatabase.withConnection(url) { _ in }
        }
        url.password = "not-the-password"
        await #expect(throws: (any Error).self) {
            try await TestDatabase.withConnection(url) { _ in }
        }
    }

    /// A folder that holds a cluster (here, a stand-in: `PG_VERSION` and a `postmaster.pid`) that
    /// the script did not create is neither started, stopped, cleaned nor deleted.
    @Test func aDataFolderTheScriptDidNotCreateIsLeftAlone() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("foreign-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "15\n".write(to: folder.appendingPathComponent("PG_VERSION"), atomically: true, encoding: .utf8)
        try "999999\n".write(to: folder.appendingPathComponent("postmaster.pid"), atomically: true, encoding: .utf8)

        let start = try await Self.pgCluster(["start", folder.path, String(try ServerProcess.freePort())])
        #expect(start.status != 0)
        #expect(start.output.contains("did not create"), "\(start.output)")
        let destroy = try await Self.pgCluster(["destroy", folder.path])
        #expect(destroy.status != 0)
        #expect(destroy.output.contains("did not create"), "\(destroy.output)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("PG_VERSION").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("postmaster.pid").path))
    }
}
