import Foundation
import Synchronization

/// `tideline-chat` in a child process, fed through a pipe and watched through its output.
///
/// Line mode runs it directly (stdin and stdout are pipes). Interactive mode runs it under
/// util-linux `script`, which gives it a pseudo-terminal: the keys written here reach it as
/// typed, and what it draws comes back with its ANSI sequences.
final class ChatProcess: Sendable {
    let process: Process
    private let input = Pipe()
    private let output = Pipe()
    private let errors = Pipe()
    private let stdoutBytes = Collected()
    private let stderrBytes = Collected()

    /// Bytes a reader thread appends while the test reads them.
    private final class Collected: Sendable {
        let bytes = Mutex<[UInt8]>([])
        func append(_ data: Data) { bytes.withLock { $0.append(contentsOf: data) } }
        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    }

    /// `.build/debug/tideline-chat`, built by `swift build --build-tests` alongside the tests.
    static var executable: URL {
        ServerProcess.executable.deletingLastPathComponent().appendingPathComponent("tideline-chat")
    }

    init(user: String, room: String, port: Int, interactive: Bool) throws {
        let process = Process()
        let arguments = ["--server", "http://127.0.0.1:\(port)", "--user", user, "--room", room]
        if interactive {
            let command = ([Self.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qfec", command, "/dev/null"]
        } else {
            process.executableURL = Self.executable
            process.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm"
        environment.removeValue(forKey: "NO_COLOR")
        // Reconnect attempts at most a second apart: a restarted server is found quickly.
        environment["TIDELINE_CHAT_BACKOFF_CAP_MS"] = "1000"
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        self.process = process
        output.fileHandleForReading.readabilityHandler = { [stdoutBytes] handle in
            let data = handle.availableData
            stdoutBytes.append(data)
        }
        errors.fileHandleForReading.readabilityHandler = { [stderrBytes] handle in
            let data = handle.availableData
            stderrBytes.append(data)
        }
        try process.run()
    }

    /// Everything it wrote to stdout so far.
    var stdout: String { stdoutBytes.text }
    var stderr: String { stderrBytes.text }

    /// What a terminal shows now at the bottom: the text after the last "erase to the end of
    /// the screen", which is where the footer was last drawn, without ANSI sequences.
    var footer: String {
        let raw = stdout
        let last = raw.range(of: "\u{1B}[J", options: .backwards).map { String(raw[$0.upperBound...]) } ?? raw
        return Self.stripANSI(last)
    }

    /// Types (or pipes) text into it.
    func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    func closeInput() {
        try? input.fileHandleForWriting.close()
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }

    func waitForExit() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    /// Ends it whatever state it is in (test cleanup).
    func stop() async {
        if process.isRunning { kill(SIGKILL) }
        _ = await waitForExit()
        output.fileHandleForReading.readabilityHandler = nil
        errors.fileHandleForReading.readabilityHandler = nil
    }

    static func stripANSI(_ text: String) -> String {
        text.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
    }

    /// Line-mode output lines that are messages: `[HH:MM:SS] author: text`.
    var messageLines: [String] {
        stdout.split(separator: "\n").map(String.init).filter { $0.range(of: #"^\[\d\d:\d\d:\d\d\] "#, options: .regularExpression) != nil }
    }
}
