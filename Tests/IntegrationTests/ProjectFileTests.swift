import Foundation
import Testing

/// Files users and tools consume without running the server, checked by the project's Python
/// checks (pinned tools from PyPI): `docker-compose.yml` (Docker is not available here) and the
/// API documents.
@Suite struct ProjectFileTests {
    static func check(_ name: String) async throws -> (status: Int32, output: String) {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/\(name)")
        return try await Subprocess.run("/usr/bin/env", ["python3", script.path])
    }

    @Test func theComposeFileIsValidAndKeepsItsPromises() async throws {
        let result = try await Self.check("check-compose")
        #expect(result.status == 0, "\(result.output)")
    }

    /// openapi.yaml with openapi-spec-validator, asyncapi.yaml against the AsyncAPI 3.0.0 schema.
    @Test func theAPIDocumentsValidate() async throws {
        let result = try await Self.check("check-api-documents")
        #expect(result.status == 0, "\(result.output)")
    }
}
