import AsyncHTTPClient
import ChatCore
import Foundation
import NIOCore
import NIOHTTP1

/// The REST side of the public API (contract sections 3 and 4) that the chat client uses.
struct ChatAPI: Sendable {
    let http: HTTPClient
    /// `http://host:port`, without a trailing slash.
    let server: String

    /// A failed request: the HTTP status (nil when the server was not reached) and what the
    /// problem+json body said.
    struct Failure: Error, CustomStringConvertible {
        let status: Int?
        let code: String?
        let detail: String

        var description: String {
            guard let status else { return detail }
            return "\(status)\(code.map { " \($0)" } ?? ""): \(detail)"
        }
    }

    /// What opening a room gives: its newest messages, oldest first, and the event up to which
    /// nothing of the room is missing from them (the subscription resumes after it).
    struct OpenedRoom: Sendable {
        let readThrough: Int64
        let history: [ChatMessage]
    }

    /// `POST /v1/auth/token`: a development token. Says so clearly when the server is not in
    /// development mode (the route does not exist there).
    func devToken(user: String) async throws(Failure) -> (token: String, expiresAt: Date?) {
        struct Answer: Decodable { var token: String; var expires_at: String? }
        do throws(Failure) {
            let answer: Answer = try await request(.POST, "/v1/auth/token", token: nil, json: TokenRequest(user: user, roles: []))
            return (answer.token, answer.expires_at.flatMap(Timestamp.parse))
        } catch where error.status == 404 {
            throw Failure(
                status: 404, code: "not_found",
                detail: "\(server) is not in development mode, so it mints no tokens: pass --token JWT (the server's CLI makes one: tideline token \(user))"
            )
        }
    }

    /// Creates the room, or joins it if it exists (the client posts, so it must be a member),
    /// then reads its newest 50 messages.
    func openRoom(_ room: String, token: String) async throws(Failure) -> OpenedRoom {
        struct Answer: Decodable { var event_id: String }
        let answer: Answer
        do throws(Failure) {
            answer = try await request(.POST, "/v1/rooms", token: token, json: ["room_id": room, "name": room, "visibility": "public"])
        } catch where error.status == 409 {
            answer = try await request(.POST, "/v1/rooms/\(room)/join", token: token, json: [String: String]())
        }
        guard let joinedAt = Int64(answer.event_id) else { throw Failure(status: nil, code: nil, detail: "bad event_id \(answer.event_id)") }
        let page = try await history(room, notBefore: joinedAt, token: token)
        // The page's `last_event_id` (contract section 10) was read before its messages, so
        // nothing up to it is missing; a server before section 10 sends none, and the join
        // event, which the page was read after, bounds it instead.
        return OpenedRoom(readThrough: max(joinedAt, page.lastEventID ?? joinedAt), history: page.messages)
    }

    /// `GET /v1/rooms/{room}/messages?limit=50&min_event_id=…`: the read model may lag the log,
    /// so ask it to wait until it shows our join; then nothing up to that event is missing.
    func history(_ room: String, notBefore eventID: Int64, token: String) async throws(Failure) -> (messages: [ChatMessage], lastEventID: Int64?) {
        struct Answer: Decodable {
            struct Message: Decodable { var event_id: String; var author: String; var text: String; var occurred_at: String }
            var messages: [Message]
            var last_event_id: String?
        }
        let answer: Answer = try await request(.GET, "/v1/rooms/\(room)/messages?limit=50&min_event_id=\(eventID)", token: token)
        let messages = answer.messages.compactMap { message -> ChatMessage? in
            guard let id = Int64(message.event_id), let date = Timestamp.parse(message.occurred_at) else { return nil }
            return ChatMessage(eventID: id, room: room, author: message.author, text: message.text, occurredAt: date)
        }
        return (messages, answer.last_event_id.flatMap { Int64($0) })
    }

    func leave(_ room: String, token: String) async throws(Failure) {
        struct Answer: Decodable { var room_id: String }
        let _: Answer = try await request(.POST, "/v1/rooms/\(room)/leave", token: token, json: [String: String]())
    }

    func rooms(token: String) async throws(Failure) -> [RoomSummary] {
        struct Answer: Decodable { var rooms: [RoomSummary] }
        let answer: Answer = try await request(.GET, "/v1/rooms?limit=100", token: token)
        return answer.rooms
    }

    /// The status an authenticated GET gets with this token: the WebSocket client reports a
    /// refused upgrade without its status, and the reconnect policy needs to know a 401.
    func status(token: String) async -> Int? {
        do throws(Failure) {
            let _: [String: [RoomSummary]] = try await request(.GET, "/v1/rooms?limit=1", token: token)
            return 200
        } catch {
            return error.status
        }
    }

    /// How long a read answered 503 is asked again before the client gives up.
    static let readRetryLimit: Duration = .seconds(30)

    private func request<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, token: String?, json: (any Encodable)? = nil
    ) async throws(Failure) -> Answer {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            do {
                request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(json)))
            } catch {
                throw Failure(status: nil, code: nil, detail: "cannot encode the request: \(error)")
            }
        }
        var status: Int
        var body: ByteBuffer
        // A read the server cannot answer yet (503: the read model lags the log, contract
        // section 4) is asked again when it says, for up to `readRetryLimit`: a busy server
        // at start-up is no reason to quit.
        let giveUpAt = ContinuousClock.now + Self.readRetryLimit
        while true {
            let retryAfter: Int?
            do {
                let response = try await http.execute(request, timeout: .seconds(10))
                status = Int(response.status.code)
                retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
                body = try await response.body.collect(upTo: 4 << 20)
            } catch {
                throw Failure(status: nil, code: nil, detail: "cannot reach \(server): \(error)")
            }
            let wait = Duration.seconds(max(1, retryAfter ?? 1))
            guard method == .GET, status == 503, ContinuousClock.now + wait < giveUpAt else { break }
            do { try await Task.sleep(for: wait) } catch { break }
        }
        guard (200..<300).contains(status) else {
            let problem = try? JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView))
            throw Failure(status: status, code: problem?.code, detail: problem?.detail ?? problem?.title ?? "HTTP \(status)")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
        } catch {
            throw Failure(status: status, code: nil, detail: "unexpected answer to \(path): \(error)")
        }
    }

    private struct TokenRequest: Encodable {
        var user: String
        var roles: [String]
    }

    /// An RFC 9457 problem body, as far as the client shows it.
    private struct Problem: Decodable {
        var code: String?
        var detail: String?
        var title: String?
    }
}
