/// How a command names itself so that a retry is answered once: the caller and the scopes its
/// reply is kept under.
public struct Idempotency: Sendable, Equatable {
    /// The user who sent the command (scopes are per caller).
    public var caller: String
    /// `key:<Idempotency-Key>`: kept 24 hours, and the same key with another request is refused.
    public var keyScope: String?
    /// `client_msg:<room>:<client_msg_id>`: kept for good, any repeat counts as the same.
    public var clientMessageScope: String?
    /// What the request was (method, path, canonical body), compared on a repeated key.
    public var fingerprint: String

    public init(caller: String, key: String?, clientMessageScope: String?, fingerprint: String) {
        self.caller = caller
        keyScope = key.map { "key:\($0)" }
        self.clientMessageScope = clientMessageScope
        self.fingerprint = fingerprint
    }

    /// The scopes in the order they are checked: the key first, since reusing it for another
    /// request is the client's bug to hear about.
    public var scopes: [String] { [keyScope, clientMessageScope].compactMap { $0 } }
}

/// A command's answer as the API sends it and as it is kept for retries.
public struct CommandReply: Sendable, Equatable {
    /// Written where the reply's event id goes; the database puts the id in once it is known.
    /// (Replies carry identifiers and numbers, which never contain `$`.)
    public static let eventIDPlaceholder = "$event_id$"

    /// The HTTP status code.
    public var status: Int
    /// The JSON body.
    public var body: String

    public init(status: Int, body: String) {
        self.status = status
        self.body = body
    }
}

/// What a command came to.
public enum CommandResult: Sendable, Equatable {
    /// Decided and committed now (events appended, or none needed).
    case executed(CommandOutcome, CommandReply)
    /// An identical command had been answered before: its stored reply; nothing was done now.
    case replayed(CommandReply)

    public var reply: CommandReply {
        switch self {
        case .executed(_, let reply), .replayed(let reply): reply
        }
    }
}

/// A command refused before it was decided.
public enum CommandError: Error, Sendable, Equatable {
    /// The `Idempotency-Key` was used before for a different request.
    case idempotencyKeyReused
}
