/// A message the user sent that the server has not acknowledged yet.
public struct PendingPost: Sendable, Equatable {
    public let room: String
    public let text: String
    /// The server keeps the first answer per author and `client_msg_id`, so sending the same
    /// post again after a lost ack never posts it twice.
    public let clientMsgID: String

    public init(room: String, text: String, clientMsgID: String) {
        self.room = room
        self.text = text
        self.clientMsgID = clientMsgID
    }
}

/// Posts waiting for their ack, in the order they were typed. They are resent, in that order
/// and with their original `client_msg_id`, each time a connection becomes live.
public struct Outbox: Sendable, Equatable {
    /// A bound so a long outage cannot grow memory without limit; beyond it typing is refused.
    public let capacity: Int
    public private(set) var pending: [PendingPost] = []

    public init(capacity: Int = 1000) {
        self.capacity = capacity
    }

    public var isEmpty: Bool { pending.isEmpty }
    public var isFull: Bool { pending.count >= capacity }

    /// Queues a post; false if the outbox is full.
    @discardableResult
    public mutating func add(_ post: PendingPost) -> Bool {
        guard !isFull else { return false }
        pending.append(post)
        return true
    }

    /// Removes the post with this id (acknowledged or refused); nil if it was not pending,
    /// e.g. an ack for a post already acknowledged on an earlier connection.
    @discardableResult
    public mutating func remove(clientMsgID: String) -> PendingPost? {
        guard let index = pending.firstIndex(where: { $0.clientMsgID == clientMsgID }) else { return nil }
        return pending.remove(at: index)
    }

    public func contains(clientMsgID: String) -> Bool {
        pending.contains { $0.clientMsgID == clientMsgID }
    }
}
