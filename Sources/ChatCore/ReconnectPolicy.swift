/// How a WebSocket connection ended, as far as the client could tell.
public enum Disconnect: Sendable, Equatable {
    /// The server sent a close frame with this code (contract section 6).
    case closed(code: Int, reason: String)
    /// The connection failed or broke without a close frame: refused, reset, timed out.
    case dropped(String)
    /// The server answered the handshake without upgrading; `status` is the HTTP status the
    /// client found out (nil when it could not tell).
    case rejected(status: Int?)
}

/// What to do after a disconnect.
public enum ReconnectDecision: Sendable, Equatable {
    /// Reconnect at once and resume: the server asked for it (1001 shutting down, 4008 too slow).
    case now
    /// Wait, then reconnect.
    case after(Duration)
    /// Fetch a new development token, then reconnect at once.
    case refreshToken
    /// Stop and tell the user why.
    case giveUp(String)
}

/// Maps close codes and failures to reconnect decisions, with backoff between attempts.
public struct ReconnectPolicy: Sendable {
    /// Whether the client can mint tokens itself (the server is in development mode and no
    /// `--token` was given); otherwise an expired token ends the session.
    public let canRefreshToken: Bool
    public private(set) var backoff: Backoff
    /// A refreshed token that is refused again means something else is wrong: stop then.
    private var refreshedSinceLastConnect = false

    public init(canRefreshToken: Bool, backoff: Backoff = Backoff()) {
        self.canRefreshToken = canRefreshToken
        self.backoff = backoff
    }

    /// A connection was established and subscribed: start counting afresh.
    public mutating func connected() {
        backoff.reset()
        refreshedSinceLastConnect = false
    }

    public mutating func decide(_ disconnect: Disconnect) -> ReconnectDecision {
        switch disconnect {
        case .closed(let code, let reason):
            switch code {
            case 1001, 4008:
                return .now
            case 4001:
                return refreshOrGiveUp()
            case 1008:
                return .giveUp("the server closed the connection (policy violation\(Self.suffix(reason)))")
            case 1009:
                return .giveUp("the server closed the connection (frame too big\(Self.suffix(reason)))")
            default:
                // 1000 without being asked, 1006, 1011, 4029 (rate limit): try again, slower each time.
                return .after(backoff.nextDelay())
            }
        case .dropped:
            return .after(backoff.nextDelay())
        case .rejected(let status):
            switch status {
            case 401?:
                return refreshOrGiveUp()
            case 403?:
                return .giveUp("the server refused the connection (403 forbidden)")
            case let status? where (400..<500).contains(status) && status != 408 && status != 429:
                return .giveUp("the server refused the WebSocket handshake (\(status))")
            default:
                return .after(backoff.nextDelay())
            }
        }
    }

    private mutating func refreshOrGiveUp() -> ReconnectDecision {
        guard canRefreshToken else {
            return .giveUp("the token expired or was refused: get a new one (tideline token USER) and pass it with --token")
        }
        guard !refreshedSinceLastConnect else {
            return .giveUp("the server refused a freshly minted token")
        }
        refreshedSinceLastConnect = true
        return .refreshToken
    }

    private static func suffix(_ reason: String) -> String { reason.isEmpty ? "" : ": \(reason)" }
}
