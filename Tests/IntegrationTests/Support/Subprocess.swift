import Foundation

/// A program run to completion, for the tools a test drives (pg-cluster, pg_dump, ...).
enum Subprocess {
    /// Runs `executable` with `arguments` (and `environment` added to the test's own) and
    /// returns its exit status and output (stdout and stderr together).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        // Output goes to a file, not a pipe: a program that leaves a daemon behind (pg-cluster
        // start) would hand it the pipe, and reading to its end would wait for the daemon.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("subprocess-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: file.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try FileHandle(forWritingTo: file)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        let text = (try? Data(contentsOf: file)) ?? Data()
        return (process.terminationStatus, String(decoding: text, as: UTF8.self))
    }
}
