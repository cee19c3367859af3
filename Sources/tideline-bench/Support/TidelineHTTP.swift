import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The few REST calls the load generators make, against Tideline or the baseline hub alike.
struct TidelineHTTP: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let http: HTTPClient
    let server: String

    /// What the server answered to a post: its status, and its `Server-Timing` header if any.
    struct Reply: Sendable {
        let status: UInt
        let serverTiming: String?
    }

    /// An HTTP client that opens up to `connections` keep-alive connections per server, and no
    /// more: requests beyond them wait in the client for a free connection (AsyncHTTPClient's
    /// default soft limit is 8, which would queue the rest of the clients, or open too many for
    /// a one-connection measurement). On `group` if given, else NIO's shared singleton.
    static func makeClient(connections: Int, group: (any EventLoopGroup)? = nil) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(connections, 1)
        configuration.httpVersion = .http1Only
        configuration.timeout.connect = .seconds(30)
        return HTTPClient(eventLoopGroupProvider: group.map { .shared($0) } ?? .singleton, configuration: configuration)
    }

    /// Runs `body` with a client made by ``makeClient(connections:group:)``, shut down afterwards
    /// whether `body` succeeds or throws (an HTTPClient must be shut down before it is released).
    /// - Parameter ownThread: run the client on an event loop thread of its own, so that its
    ///   responses are not read after the frames of a thousand WebSockets on the shared loops.
    static func withClient<Result>(
        connections: Int, ownThread: Bool = false, _ body: (HTTPClient) async throws -> Result
    ) async throws -> Result {
        let group = ownThread ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let http = makeClient(connections: connections, group: group)
        do {
            let result = try await body(http)
            try await http.shutdown()
            try await group?.shutdownGracefully()
            return result
        } catch {
            try? await http.shutdown()
            try? await group?.shutdownGracefully()
            throw error
        }
    }

    /// A dev-mode token for `user` (`POST /v1/auth/token`).
    func token(user: String) async throws -> String {
        let reply = try await checked("/v1/auth/token", token: nil, json: #"{"user":"\#(user)"}"#)
        struct Token: Decodable { var token: String }
        return try JSONDecoder().decode(Token.self, from: reply).token
    }

    func createRoom(_ room: String, token: String) async throws {
        try await checked("/v1/rooms", token: token, json: #"{"room_id":"\#(room)","name":"\#(room)"}"#)
    }

    func join(_ room: String, token: String) async throws {
        try await checked("/v1/rooms/\(room)/join", token: token, json: nil)
    }

    /// Posts a message and returns the status: the caller decides what counts as an error.
    func postMessage(room: String, text: String, clientMessageID: String, token: String) async throws -> UInt {
        try await postMessageReply(room: room, text: text, clientMessageID: clientMessageID, token: token).status
    }

    /// Posts a message and returns the status with the server's `Server-Timing` header.
    func postMessageReply(room: String, text: String, clientMessageID: String, token: String) async throws -> Reply {
        let json = #"{"text":"\#(text)","client_msg_id":"\#(clientMessageID)"}"#
        let (status, _, timing) = try await send("/v1/rooms/\(room)/messages", token: token, json: json)
        return Reply(status: status, serverTiming: timing)
    }

    /// `GET path` without a token; returns the status (the body is read and dropped).
    func get(_ path: String) async throws -> UInt {
        try await send(path, method: .GET, token: nil, json: nil).status
    }

    /// `ws://…/v1/ws?access_token=…` for the same server.
    func webSocketURL(token: String) -> String {
        server.replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws?access_token=\(token)"
    }

    @discardableResult
    private func checked(_ path: String, token: String?, json: String?) async throws -> Data {
        let (status, body, _) = try await send(path, token: token, json: json)
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(server)\(path) answered \(status): \(String(decoding: body, as: UTF8.self))")
        }
        return body
    }

    private func send(
        _ path: String, method: HTTPMethod = .POST, token: String?, json: String?
    ) async throws -> (status: UInt, body: Data, serverTiming: String?) {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, Data(buffer: body), response.headers.first(name: "Server-Timing"))
    }
}
