import Domain
import Foundation
import HTTPTypes
import NIOCore
import NIOPosix

/// The server's answer to a hand-written upgrade request: what WSClient does not show (the
/// status of a refusal, the negotiated extension and subprotocol).
struct HandshakeResponse: CustomStringConvertible {
    var status: Int
    /// Header names lower-cased.
    var headers: [String: String]
    /// The body of a refusal (`Content-Length` bytes), empty after a 101.
    var body: String = ""
    var description: String { "\(status) \(headers) \(body)" }

    /// The body as JSON (a problem's members).
    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }
}

/// Sends a WebSocket upgrade request with `offering` as extra headers, reads the response head
/// and hangs up.
func upgradeHandshake(port: Int, path: String, offering: HTTPFields) async throws -> HandshakeResponse {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    return try await channel.executeThenClose { inbound, outbound in
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        for field in offering { request += "\(field.name.rawName): \(field.value)\r\n" }
        try await outbound.write(ByteBuffer(string: request + "\r\n"))
        var received = ""
        var response: HandshakeResponse?
        for try await chunk in inbound {
            received += String(buffer: chunk)
            guard let end = received.range(of: "\r\n\r\n") else { continue }
            if response == nil {
                let head = received[..<end.lowerBound].components(separatedBy: "\r\n")
                let status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                response = HandshakeResponse(status: status, headers: headers)
            }
            let length = response?.status == 101 ? 0 : Int(response?.headers["content-length"] ?? "") ?? 0
            let body = received[end.upperBound...]
            if body.utf8.count >= length {
                response?.body = String(body)
                break
            }
        }
        return response ?? HandshakeResponse(status: 0, headers: [:])
    }
}
