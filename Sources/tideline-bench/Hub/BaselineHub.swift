import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import Realtime

/// The baseline: a bare Hummingbird broadcast hub with no database, speaking just enough of
/// Tideline's API (dev tokens, rooms, posting, WebSocket subscribe/ping) that the same load
/// generators run against it unchanged. Tideline's numbers next to these are the price of its
/// persistence, ordering and authorisation on the same stack.
struct BaselineHub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the baseline broadcast hub (in memory, no database, no SSE)."
    )

    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on.") var port: Int = 8090

    func run() async throws {
        var logger = Logger(label: "tideline-bench.hub")
        logger.logLevel = .warning
        let table = BroadcastTable()
        let app = Application(
            router: Self.httpRouter(table),
            server: .http1WebSocketUpgrade(webSocketRouter: Self.webSocketRouter(table), configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 16))),
            configuration: .init(address: .hostname(host, port: port), serverName: "tideline-bench-hub"),
            logger: logger
        )
        progress("hub listening on http://\(host):\(port)")
        try await app.runService()
    }

    private struct TokenRequest: Decodable { var user: String }
    private struct RoomRequest: Decodable { var room_id: String }
    private struct PostRequest: Decodable {
        var text: String
        var client_msg_id: String?
    }

    /// `data` of a `chat.message_posted` event, encoded like a stored event would be.
    private struct MessagePosted: Encodable {
        var room_id, message_id, author, text: String
        var client_msg_id: String?
    }

    private static func httpRouter(_ table: BroadcastTable) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let encoder = JSONEncoder()
        router.post("/v1/auth/token") { request, context in
            let body = try await request.decode(as: TokenRequest.self, context: context)
            let expires = Date.now.addingTimeInterval(3600).ISO8601Format()
            return json(.ok, #"{"token":"hub.\#(body.user)","expires_at":"\#(expires)"}"#)
        }
        router.post("/v1/rooms") { request, context in
            let room = try await request.decode(as: RoomRequest.self, context: context).room_id
            return json(.created, #"{"room_id":\#(quoted(room)),"event_id":"\#(table.append(to: room))"}"#)
        }
        router.post("/v1/rooms/:room/join") { _, context in
            let room = try context.parameters.require("room")
            return json(.ok, #"{"room_id":\#(quoted(room)),"event_id":"\#(table.append(to: room))"}"#)
        }
        router.post("/v1/rooms/:room/messages") { request, context in
            let room = try context.parameters.require("room")
            let body = try await request.decode(as: PostRequest.self, context: context)
            let author = user(request)
            let messageID = "m-\(UUID().uuidString.lowercased())"
            let data = MessagePosted(room_id: room, message_id: messageID, author: author, text: body.text, client_msg_id: body.client_msg_id)
            let dataJSON = String(decoding: try encoder.encode(data), as: UTF8.self)
            let commandID = UUID().uuidString.lowercased()
            let metadata = #"{"actor":\#(quoted(author)),"command_id":"\#(commandID)","correlation_id":"\#(commandID)","causation_id":null}"#
            let occurredAt = Date.now.ISO8601Format(.iso8601(timeZone: .gmt, includingFractionalSeconds: true))
            let topic = quoted("room:\(room)"), stream = quoted("room-\(room)")
            let id = table.publish(to: room) { id, version in
                #"{"type":"event","topic":\#(topic),"event":{"id":"\#(id)","stream":\#(stream),"version":\#(version),"type":"chat.message_posted","occurred_at":"\#(occurredAt)","data":\#(dataJSON),"metadata":\#(metadata)}}"#
            }
            return json(.created, #"{"message_id":"\#(messageID)","event_id":"\#(id)"}"#)
        }
        return router
    }

    private static func webSocketRouter(_ table: BroadcastTable) -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/v1/ws") { request, _ in
            let offered = request.headers[.secWebSocketProtocol] ?? ""
            return offered.contains("tideline.v1") ? .upgrade([.secWebSocketProtocol: "tideline.v1"]) : .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            let subscriber = BroadcastTable.Subscriber()
            await withTaskGroup(of: Void.self) { group in
                // One writer per connection drains the outbox: replies and events leave in the
                // order they were queued.
                group.addTask {
                    for await frame in subscriber.outbox {
                        do { try await outbound.write(.text(frame)) } catch { break }
                    }
                }
                do {
                    for try await message in inbound.messages(maxSize: 1 << 16) {
                        guard case .text(let text) = message else { continue }
                        handle(text, from: subscriber, table: table)
                    }
                } catch {
                    // The client went away.
                }
                table.remove(subscriber)
                group.cancelAll()
            }
        }
        return router
    }

    private struct ClientFrame: Decodable {
        var type: String
        var ref: String?
        var topics: [String]?
    }

    private static func handle(_ text: String, from subscriber: BroadcastTable.Subscriber, table: BroadcastTable) {
        guard let frame = try? JSONDecoder().decode(ClientFrame.self, from: Data(text.utf8)) else {
            subscriber.send(#"{"type":"error","code":"malformed_request","message":"not a JSON frame"}"#)
            return
        }
        let ref = frame.ref.map { #","ref":\#(quoted($0))"# } ?? ""
        switch frame.type {
        case "subscribe":
            let topics = frame.topics ?? []
            subscriber.send(#"{"type":"subscribed"\#(ref),"topics":[\#(topics.map(quoted).joined(separator: ","))]}"#)
            let rooms = topics.filter { $0.hasPrefix("room:") }.map { String($0.dropFirst(5)) }
            table.subscribe(subscriber, to: rooms) { #"{"type":"caught_up"\#(ref),"event_id":"\#($0)"}"# }
        case "ping":
            subscriber.send(#"{"type":"pong"\#(ref)}"#)
        default:
            subscriber.send(#"{"type":"error"\#(ref),"code":"malformed_request","message":"the baseline hub knows subscribe and ping"}"#)
        }
    }

    /// The caller's name from the hub's own tokens (`hub.<user>`); the hub checks nothing.
    private static func user(_ request: Request) -> String {
        let header = request.headers[.authorization] ?? ""
        return header.hasPrefix("Bearer hub.") ? String(header.dropFirst("Bearer hub.".count)) : "anonymous"
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private static func quoted(_ string: String) -> String { jsonString(string) }
}
