#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's terminal: whether there is one, its size, raw mode, and writing to it.
enum Terminal {
    static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Columns of the terminal on stdout; 80 when it cannot tell.
    static func width() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// Writes all of `text` to `fd`, retrying short writes and interruptions.
    static func emit(_ text: String, to fd: Int32 = STDOUT_FILENO) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return  // the reader went away (EPIPE): nothing sensible left to do with output
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Runs `body` with the terminal on stdin in raw mode (keys arrive one by one, unechoed,
    /// Ctrl-C as a byte rather than SIGINT) and restores the previous settings afterwards,
    /// whether `body` returns or throws. Signals are turned into a clean quit by the chat loop,
    /// so they also end up here.
    ///
    /// Nothing typed is lost on the way in or out: keys typed before the switch, even half a
    /// line without Enter, stay queued and are read as raw keys (Linux's n_tty hands the
    /// unfinished canonical line to a non-canonical reader), and keys typed after quitting
    /// reach the shell. TCSAFLUSH would discard them.
    static func withRawMode<T>(_ body: () async throws -> T) async rethrows -> T {
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return try await body() }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL | BRKINT | INPCK | ISTRIP)
        // Output processing stays on: "\n" still becomes "\r\n".
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        // TCSADRAIN: the screen is tidied (display.finish) before the echo comes back on.
        defer { tcsetattr(STDIN_FILENO, TCSADRAIN, &original) }
        return try await body()
    }
}
