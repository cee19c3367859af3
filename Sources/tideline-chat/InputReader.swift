#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Reads stdin on a thread of its own, so a blocking read never holds one of the few threads
/// of Swift's cooperative pool. It polls with a timeout so `stop()` ends it promptly.
final class InputReader: Sendable {
    private let stopped = Atomic(false)

    /// Starts reading: `onBytes` for each chunk, then `onEnd` once at end of input (or error).
    func start(onBytes: @escaping @Sendable ([UInt8]) -> Void, onEnd: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            while !stopped.load(ordering: .relaxed) {
                let ready = poll(&descriptor, 1, 100)
                if ready < 0 && errno == EINTR { continue }
                if ready == 0 { continue }
                let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                guard count > 0 else { break }
                onBytes(Array(buffer[0..<count]))
            }
            onEnd()
        }
        thread.name = "tideline-chat stdin"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
