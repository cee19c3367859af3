import Foundation
import Testing

/// `docker-compose.yml`, checked without Docker (not available here): the Compose
/// Specification's schema and the project's promises (`scripts/check-compose`).
@Suite struct ComposeFileTests {
    @Test func theComposeFileIsValidAndKeepsItsPromises() async throws {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/check-compose")
        let result = try await Subprocess.run("/usr/bin/env", ["python3", script.path])
        #expect(result.status == 0, "\(result.output)")
    }
}
