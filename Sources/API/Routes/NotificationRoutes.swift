import Domain
import Foundation
import Hummingbird

/// `/v1/notifications…`: send (staff), list one's own, mark one read.
extension RouteContext {
    func addNotificationRoutes(to group: RouterGroup<TidelineRequestContext>) {
        group.post("notifications") { request, context in
            let caller = try context.requireCaller()
            guard caller.isStaff else { throw APIError.forbidden("sending notifications needs the staff role") }
            let body = try await body(request)
            let command = try SendNotification(body: body)
            let notificationID = GeneratedID.make("n")
            let stream = StreamName.notifications(forUser: command.userId)
            return try await runner.execute(
                command: "send_notification",
                caller: caller, idempotency: try .init(request: request, body: body), stream: stream,
                evolve: { Notifications.evolve($0, $1, version: $2) },
                decide: { state in
                    .append(try Notifications.send(command, notificationId: notificationID, relatedEventId: nil, state: state))
                },
                reply: { eventID in
                    .init(status: .created, json: try JSONResponse.encode(NotificationReply(notificationId: notificationID, eventId: eventID)))
                }
            ).response
        }
        group.get("notifications") { request, context in
            let caller = try context.requireCaller()
            let unreadOnly = try QueryParameters.bool(request, "unread")
            let rows = try await readModel.notifications(user: caller.user, unreadOnly: unreadOnly, limit: 200)
            let unread = try await readModel.unreadNotificationCount(user: caller.user)
            return try JSONResponse.make(.ok, NotificationList(notifications: rows.map {
                .init(notificationId: $0.notificationID, kind: $0.kind, content: $0.content, relatedEventId: $0.relatedEventID,
                      read: $0.read, eventId: String($0.eventID), occurredAt: $0.occurredAt,
                      data: try $0.dataJSON.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) })
            }, unreadCount: unread))
        }
        group.post("notifications/:notification_id/read") { request, context in
            let caller = try context.requireCaller()
            let notificationID = try identifier(context, "notification_id", kind: "notification")
            let body = try await body(request, required: false)
            // The caller's own stream: someone else's notification is simply not found there.
            let stream = StreamName.notifications(forUser: caller.user)
            return try await runner.execute(
                command: "mark_notification_read",
                caller: caller, idempotency: try .init(request: request, body: body), stream: stream,
                evolve: { Notifications.evolve($0, $1, version: $2) },
                decide: { state in try Notifications.markRead(notificationId: notificationID, user: caller.user, state: state) },
                reply: { eventID in
                    .init(status: .ok, json: try JSONResponse.encode(NotificationReply(notificationId: notificationID, eventId: eventID)))
                }
            ).response
        }
    }
}

struct NotificationReply: Encodable {
    var notificationId: String
    var eventId: String
}

struct NotificationList: Encodable {
    struct Notification: Encodable {
        var notificationId: String
        var kind: String
        var content: String
        var relatedEventId: String?
        var read: Bool
        var eventId: String
        var occurredAt: String
        /// What `content` says, structured (an order's id, total and currency); null if nothing.
        var data: JSONValue?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(notificationId, forKey: .notificationId)
            try container.encode(kind, forKey: .kind)
            try container.encode(content, forKey: .content)
            try container.encode(relatedEventId, forKey: .relatedEventId) // null for a staff-sent one
            try container.encode(read, forKey: .read)
            try container.encode(eventId, forKey: .eventId)
            try container.encode(occurredAt, forKey: .occurredAt)
            try container.encode(data, forKey: .data) // null where there is nothing structured
        }

        enum CodingKeys: String, CodingKey { case notificationId, kind, content, relatedEventId, read, eventId, occurredAt, data }
    }

    var notifications: [Notification]
    /// All of the caller's unread notifications, not only this page's (contract section 10).
    var unreadCount: Int64
}
