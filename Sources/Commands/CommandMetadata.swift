import Foundation

/// Who caused an event and why, stored as each event's `metadata` (contract section 1).
public struct CommandMetadata: Sendable, Equatable, Encodable {
    /// The user whose command it was, or `system` for reactions.
    public var actor: String
    /// Unique per command: the events one command appends share it.
    public var commandID: String
    /// Ties together everything that followed from one original command.
    public var correlationID: String
    /// The id of the event this one is a reaction to; nil for a client's own command.
    public var causationID: String?

    public init(actor: String, commandID: String, correlationID: String? = nil, causationID: String? = nil) {
        self.actor = actor
        self.commandID = commandID
        self.correlationID = correlationID ?? commandID
        self.causationID = causationID
    }

    enum CodingKeys: String, CodingKey {
        case actor, commandID = "command_id", correlationID = "correlation_id", causationID = "causation_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(actor, forKey: .actor)
        try container.encode(commandID, forKey: .commandID)
        try container.encode(correlationID, forKey: .correlationID)
        // Always present, null when the command came from a client.
        try container.encode(causationID, forKey: .causationID)
    }

    func encodedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
