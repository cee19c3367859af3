import Foundation

/// A chat message as the client shows it, from history (REST) or an event (WebSocket).
public struct ChatMessage: Sendable, Equatable {
    public let eventID: Int64
    public let room: String
    public let author: String
    public let text: String
    public let occurredAt: Date

    public init(eventID: Int64, room: String, author: String, text: String, occurredAt: Date) {
        self.eventID = eventID
        self.room = room
        self.author = author
        self.text = text
        self.occurredAt = occurredAt
    }
}

/// A room from `GET /v1/rooms`.
public struct RoomSummary: Sendable, Equatable, Decodable {
    public let roomID: String
    public let name: String
    public let visibility: String
    public let memberCount: Int
    /// Whether the caller is a member (contract section 10); nil from a server before it.
    public let isMember: Bool?

    public init(roomID: String, name: String, visibility: String, memberCount: Int, isMember: Bool? = nil) {
        self.roomID = roomID
        self.name = name
        self.visibility = visibility
        self.memberCount = memberCount
        self.isMember = isMember
    }

    enum CodingKeys: String, CodingKey {
        case roomID = "room_id", name, visibility, memberCount = "member_count", isMember = "member"
    }

    /// The room as `/rooms` lists it: "#general (here): 2 members, public, you are a member".
    public func listing(isHere: Bool) -> String {
        let members = memberCount == 1 ? "1 member" : "\(memberCount) members"
        let membership = isMember.map { $0 ? ", you are a member" : ", not joined" } ?? ""
        return "#\(roomID)\(isHere ? " (here)" : ""): \(members), \(visibility)\(membership)"
    }
}

/// Timestamps as the server writes them: RFC 3339 in UTC, with or without milliseconds.
public enum Timestamp {
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
