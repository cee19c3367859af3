import Foundation

/// The authenticated user behind a request.
public struct Caller: Sendable, Equatable {
    public var user: String
    public var roles: Set<String>
    public var expiresAt: Date

    public var isStaff: Bool { roles.contains("staff") }
}
