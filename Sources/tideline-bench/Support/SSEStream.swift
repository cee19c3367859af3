import AsyncHTTPClient
import NIOCore

/// One Server-Sent Events stream (`GET /v1/stream`), its bytes handed on as they arrive.
struct SSEStream: Sendable {
    let api: TidelineHTTP
    let token: String
    let topics: String
    var since: String? = nil

    struct Refused: Error, CustomStringConvertible {
        let status: UInt
        var description: String { "the stream answered \(status)" }
    }

    /// - Parameters:
    ///   - onOpen: called once the server has answered 200 and sent the stream's first bytes.
    ///   - onBytes: called with each chunk; return false to close.
    func run(onOpen: @Sendable () -> Void, onBytes: (ByteBuffer) -> Bool) async throws {
        var request = HTTPClientRequest(url: api.server + "/v1/stream?topics=\(topics)" + (since.map { "&since=\($0)" } ?? ""))
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        // A stream lasts as long as the run: no deadline on the response.
        let response = try await api.http.execute(request, timeout: .hours(24))
        guard response.status.code == 200 else { throw Refused(status: response.status.code) }
        var opened = false
        for try await chunk in response.body {
            if !opened {
                opened = true
                onOpen()
            }
            if !onBytes(chunk) { break }
        }
    }
}

/// Counts SSE events that carry an `id:` line (stored events, not typing or keep-alives), across
/// chunk boundaries, without keeping the bytes.
struct SSEEventCounter {
    private static let idField = Array("id:".utf8)
    private(set) var events = 0
    /// How much of `id:` the current line has matched so far; nil once the line cannot match.
    private var matched: Int? = 0

    mutating func consume(_ chunk: ByteBuffer) {
        chunk.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if byte == UInt8(ascii: "\n") {
                    matched = 0
                    continue
                }
                guard let soFar = matched else { continue }
                if soFar < Self.idField.count, byte == Self.idField[soFar] {
                    matched = soFar + 1
                    if soFar + 1 == Self.idField.count {
                        events += 1
                        matched = nil
                    }
                } else {
                    matched = nil
                }
            }
        }
    }
}
