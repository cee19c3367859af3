import Commands
import Domain
import Hummingbird
import PostgresNIO

/// `/v1/rooms…`: create, join, leave, add a member, post, typing, list rooms, read messages.
extension RouteContext {
    func addRoomRoutes(to group: RouterGroup<TidelineRequestContext>) {
        group.post("rooms") { request, context in
            let caller = try context.requireCaller()
            let body = try await body(request)
            let command = try CreateRoom(body: body)
            let stream = StreamName.room(command.roomId)
            return try await runner.execute(
                command: "create_room",
                caller: caller, idempotency: try .init(request: request, body: body), stream: stream,
                evolve: { Room.evolve($0, $1, version: $2) },
                decide: { state in .append(try Room.create(command, actor: caller.user, state: state)) },
                reply: { eventID in
                    .init(status: .created, json: try JSONResponse.encode(RoomReply(roomId: command.roomId, eventId: eventID)))
                }
            ).response
        }
        group.post("rooms/:room_id/join") { request, context in
            try await roomCommand("join_room", request, context) { roomID, caller, _ in
                { state in try Room.join(roomId: roomID, actor: caller.user, state: state) }
            }
        }
        group.post("rooms/:room_id/leave") { request, context in
            try await roomCommand("leave_room", request, context) { roomID, caller, _ in
                { state in .append(try Room.leave(roomId: roomID, actor: caller.user, state: state)) }
            }
        }
        group.post("rooms/:room_id/members") { request, context in
            try await roomCommand("add_member", request, context, bodyRequired: true) { roomID, caller, body in
                let command = try AddMember(body: body)
                return { state in try Room.addMember(command, roomId: roomID, actor: caller.user, state: state) }
            }
        }
        group.post("rooms/:room_id/messages") { request, context in
            let caller = try context.requireCaller()
            let roomID = try identifier(context, "room_id", kind: "room")
            let body = try await body(request)
            let command = try PostMessage(body: body)
            let idempotency = try CommandRunner.Idempotency(
                request: request, body: body, clientMessageScope: command.clientMsgId.map { "client_msg:\(roomID):\($0)" }
            )
            return try await postMessage(command, in: roomID, by: caller, idempotency: idempotency).response
        }
        group.post("rooms/:room_id/typing") { request, context in
            let caller = try context.requireCaller()
            let roomID = try identifier(context, "room_id", kind: "room")
            let signal = try TypingSignal(body: try await body(request))
            try Room.checkTyping(roomId: roomID, actor: caller.user, state: try await state(RoomState.self, stream: StreamName.room(roomID)))
            // Ephemeral: relayed to every process's subscribers, never stored.
            await typing.signal(room: roomID, user: caller.user, started: signal.state == .started)
            return Response(status: .noContent)
        }
        group.get("rooms") { request, context in
            let caller = try context.requireCaller()
            let limit = try QueryParameters.limit(request, range: 1...500, defaultValue: 100)
            let after = request.uri.queryParameters.get("after")
            if let after, !Identifier.isValid(after) {
                throw APIError.validation(field: "after", "must be a room id")
            }
            // One more than asked tells whether another page follows.
            let found = try await readModel.rooms(visibleTo: caller.user, after: after, limit: limit + 1)
            let rooms = found.prefix(limit)
            return try JSONResponse.make(.ok, RoomList(
                rooms: rooms.map {
                    .init(roomId: $0.roomID, name: $0.name, visibility: $0.visibility, memberCount: $0.memberCount,
                          lastEventId: String($0.lastEventID), member: $0.isMember)
                },
                nextAfter: found.count > limit ? rooms.last?.roomID : nil
            ))
        }
        group.get("rooms/:room_id/presence") { _, context in
            let caller = try context.requireCaller()
            let roomID = try identifier(context, "room_id", kind: "room")
            guard let room = try await state(RoomState.self, stream: StreamName.room(roomID)) else {
                throw APIError.notFound("room \(roomID) not found")
            }
            guard Room.canRead(room, user: caller.user) else { throw APIError.forbidden("room \(roomID) is private") }
            return try JSONResponse.make(.ok, ["users": try await presence.users(in: roomID)])
        }
        group.get("rooms/:room_id/messages") { request, context in
            let caller = try context.requireCaller()
            let roomID = try identifier(context, "room_id", kind: "room")
            let before = try QueryParameters.optionalEventID(request, "before")
            let after = try QueryParameters.optionalEventID(request, "after")
            if before != nil && after != nil {
                throw APIError.validation(field: "before", "give before or after, not both")
            }
            let limit = try QueryParameters.limit(request, range: 1...200, defaultValue: 50)
            guard let room = try await state(RoomState.self, stream: StreamName.room(roomID)) else {
                throw APIError.notFound("room \(roomID) not found")
            }
            guard Room.canRead(room, user: caller.user) else { throw APIError.forbidden("room \(roomID) is private") }
            let page = try await readModel.messages(room: roomID, before: before, after: after, limit: limit)
            return try JSONResponse.make(.ok, MessageList(
                messages: page.messages.map {
                    .init(messageId: $0.messageID, eventId: String($0.eventID), author: $0.author, text: $0.text,
                          occurredAt: $0.occurredAt, clientMsgId: $0.clientMsgID)
                },
                nextBefore: page.nextBefore.map(String.init),
                lastEventId: String(page.lastEventID)
            ))
        }
    }

    /// Posts a message (REST and the WebSocket `post` frame): 201 `{message_id, event_id}`.
    func postMessage(_ command: PostMessage, in roomID: String, by caller: Caller, idempotency: CommandRunner.Idempotency) async throws -> CommandRunner.Reply {
        let stream = StreamName.room(roomID)
        let messageID = GeneratedID.make("m")
        let clientMsgID = command.clientMsgId ?? GeneratedID.make("srv")
        return try await runner.execute(
            command: "post_message",
            caller: caller, idempotency: idempotency, stream: stream,
            evolve: { Room.evolve($0, $1, version: $2) },
            decide: { state in
                .append(try Room.post(command, roomId: roomID, messageId: messageID, clientMsgId: clientMsgID, actor: caller.user, state: state))
            },
            reply: { eventID in
                .init(status: .created, json: try JSONResponse.encode(MessageReply(messageId: messageID, eventId: eventID)))
            }
        )
    }

    /// A command on an existing room that answers `{room_id, event_id}` with 200.
    private func roomCommand(
        _ command: String, _ request: Request, _ context: TidelineRequestContext, bodyRequired: Bool = false,
        decision: (String, Caller, JSONObject) throws -> (RoomState?) throws -> Decision
    ) async throws -> Response {
        let caller = try context.requireCaller()
        let roomID = try identifier(context, "room_id", kind: "room")
        let body = try await body(request, required: bodyRequired)
        let decide = try decision(roomID, caller, body)
        let stream = StreamName.room(roomID)
        return try await runner.execute(
            command: command,
            caller: caller, idempotency: try .init(request: request, body: body), stream: stream,
            evolve: { Room.evolve($0, $1, version: $2) },
            decide: decide,
            reply: { eventID in
                .init(status: .ok, json: try JSONResponse.encode(RoomReply(roomId: roomID, eventId: eventID)))
            }
        ).response
    }
}

struct RoomReply: Encodable {
    var roomId: String
    var eventId: String
}

struct MessageReply: Encodable {
    var messageId: String
    var eventId: String
}

struct RoomList: Encodable {
    struct Room: Encodable {
        var roomId: String
        var name: String
        var visibility: String
        var memberCount: Int
        var lastEventId: String
        /// Whether the caller is a member: a public room can be read without joining it.
        var member: Bool
    }

    var rooms: [Room]
    var nextAfter: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rooms, forKey: .rooms)
        try container.encode(nextAfter, forKey: .nextAfter) // null, not absent, on the last page
    }

    enum CodingKeys: String, CodingKey { case rooms, nextAfter }
}

struct MessageList: Encodable {
    struct Message: Encodable {
        var messageId: String
        var eventId: String
        var author: String
        var text: String
        var occurredAt: String
        /// The client's own id, null when it gave none.
        var clientMsgId: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(messageId, forKey: .messageId)
            try container.encode(eventId, forKey: .eventId)
            try container.encode(author, forKey: .author)
            try container.encode(text, forKey: .text)
            try container.encode(occurredAt, forKey: .occurredAt)
            try container.encode(clientMsgId, forKey: .clientMsgId) // null, not absent
        }

        enum CodingKeys: String, CodingKey { case messageId, eventId, author, text, occurredAt, clientMsgId }
    }

    var messages: [Message]
    var nextBefore: String?
    var lastEventId: String

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(messages, forKey: .messages)
        try container.encode(nextBefore, forKey: .nextBefore) // null when nothing older exists
        try container.encode(lastEventId, forKey: .lastEventId)
    }

    enum CodingKeys: String, CodingKey { case messages, nextBefore, lastEventId }
}
