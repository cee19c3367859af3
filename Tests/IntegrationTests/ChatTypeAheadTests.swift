#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization
import Testing

/// Keys typed while `tideline-chat` starts up belong to the line editor like any other key.
@Suite struct ChatTypeAheadTests {
    /// The keys are in the terminal's input queue before the client process exists, half a
    /// line without Enter: whatever the client does to the terminal on the way to its prompt
    /// happens after them, so no timing decides the outcome. The rest of the line and Enter
    /// come once the prompt is up; the stored message must be the whole line.
    @Test func keysTypedBeforeThePromptAppearsReachTheLineEditor() async throws {
        try await ChatScene.run { scene in
            let room = scene.room
            let alice = try scene.terminalClient("alice", typedAhead: "te522")
            try await eventually(limit: .seconds(20), "a live connection") { alice.footer.contains("connected · #\(room)") }
            alice.send("dfb2\r")
            try await eventually(limit: .seconds(20), "the message on alice's screen") { alice.screen.contains("▸alice: ") }
            try await eventually(limit: .seconds(20), "the message stored") { try await !scene.messageTexts().isEmpty }

            let stored = try await scene.messageTexts()
            #expect(stored == ["te522dfb2"])
            #expect(alice.screen.contains("▸alice: te522dfb2"))
            alice.send("\u{04}")
            #expect(await alice.waitForExit() == 0)
        }
    }
}

/// `tideline-chat` on a pseudo-terminal the test opens itself. `ChatProcess` runs it under
/// `script`, which makes the terminal only once the child starts; here the test holds the
/// master side from the beginning, so it can type before the client process exists.
final class TerminalChatProcess: Sendable {
    let process: Process
    /// The master side; nil once the reader has seen the last of the output and closed it.
    private let master: Mutex<Int32?>
    private let output = Mutex<[UInt8]>([])

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Opens a terminal of 100 × 30 in its default (cooked) mode, types `typedAhead` into it,
    /// then starts the client on it.
    init(user: String, room: String, port: Int, typedAhead: String) throws {
        let (master, slavePath) = try Self.openPseudoTerminal()
        let slave = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard slave >= 0 else {
            close(master)
            throw Failure(description: "cannot open \(slavePath): errno \(errno)")
        }
        defer { close(slave) }  // the child has its own copies once it runs
        var size = winsize(ws_row: 30, ws_col: 100, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        let process = Process()
        process.executableURL = ChatProcess.executable
        process.arguments = ["--server", "http://127.0.0.1:\(port)", "--user", user, "--room", room]
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm"
        environment.removeValue(forKey: "NO_COLOR")
        process.environment = environment
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        self.process = process
        self.master = Mutex(master)

        // Read everything the terminal shows until the last holder of the slave side is gone
        // (read fails with EIO), so the client never blocks on a full terminal.
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                output.withLock { $0.append(contentsOf: buffer[0..<count]) }
            }
            self.master.withLock { fd in
                if let descriptor = fd { close(descriptor) }
                fd = nil
            }
        }
        thread.name = "tideline-chat pty reader"
        thread.start()

        send(typedAhead)
        try process.run()
    }

    /// A new pseudo-terminal: its master side and the path of its slave side.
    private static func openPseudoTerminal() throws -> (master: Int32, slavePath: String) {
        #if os(Linux)
        // Glibc's module has no posix_openpt or ptsname, and Swift cannot import the _IOR/_IOW
        // macros: TIOCGPTN is _IOR('T', 0x30, unsigned int), TIOCSPTLCK _IOW('T', 0x31, int),
        // the same numbers on every Linux architecture that uses asm-generic (x86_64, arm64).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw Failure(description: "cannot open /dev/ptmx: errno \(errno)") }
        var number: UInt32 = 0
        var locked: Int32 = 0
        guard ioctl(master, UInt(0x8004_5430), &number) == 0, ioctl(master, UInt(0x4004_5431), &locked) == 0 else {
            close(master)
            throw Failure(description: "cannot set up the pseudo-terminal: errno \(errno)")
        }
        return (master, "/dev/pts/\(number)")
        #else
        let master = posix_openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw Failure(description: "no pseudo-terminal: errno \(errno)")
        }
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        return (master, String(cString: name))
        #endif
    }

    /// Everything the terminal has shown, ANSI sequences removed.
    var screen: String { ChatProcess.stripANSI(raw) }

    /// The footer as last drawn (the text after the last "erase to the end of the screen").
    var footer: String {
        let raw = self.raw
        let last = raw.range(of: "\u{1B}[J", options: .backwards).map { String(raw[$0.upperBound...]) } ?? raw
        return ChatProcess.stripANSI(last)
    }

    private var raw: String { output.withLock { String(decoding: $0, as: UTF8.self) } }

    /// Types `text` at the terminal.
    func send(_ text: String) {
        master.withLock { fd in
            guard let fd else { return }
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    func waitForExit() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    /// Ends it whatever state it is in (test cleanup).
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        _ = await waitForExit()
    }
}
