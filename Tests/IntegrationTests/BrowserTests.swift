import API
import Foundation
import Testing

/// The browser page at `/`, driven in headless Chromium (Debian's `chromium` package) by
/// `scripts/check-browser`: a session reads a public room and sees it live without joining it,
/// then joins; two sessions chat and see each other type and come online, the server restarts
/// and both resume with nothing missed or doubled, an order shows up live in a staff session,
/// and a notification arrives over SSE; the bell shows the server's unread count, the orders
/// table pages newest first, and JPY and BHD amounts have their currency's decimals.
/// Screenshots go to `.build/browser-screenshots/`.
@Suite struct BrowserTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Debian's package, or `TIDELINE_CHROMIUM`; scripts/test installs the package when it can.
    static var chromium: String? {
        let candidates = [ProcessInfo.processInfo.environment["TIDELINE_CHROMIUM"], "/usr/bin/chromium"].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: chromium != nil, "Chromium is not installed (apt-get install chromium; scripts/test installs it as root)"))
    func twoSessionsChatResumeAcrossARestartAndSeeOrdersAndNotificationsLive() async throws {
        let database = try await TestDatabase.create()
        let screenshots = Self.repository.appendingPathComponent(".build/browser-screenshots")
        let result = try await Subprocess.run("/usr/bin/env", [
            "python3", Self.repository.appendingPathComponent("scripts/check-browser").path,
            "--server-binary", ServerProcess.executable.path,
            "--database-url", ServerProcess.urlString(database),
            "--port", String(try ServerProcess.freePort()),
            "--jwt-secret", TestServer.secret,
            "--screenshots", screenshots.path,
        ], environment: Self.chromium.map { ["TIDELINE_CHROMIUM": $0] } ?? [:])
        #expect(result.status == 0, "\(result.output)")
        await TestDatabase.drop(database)
    }
}
