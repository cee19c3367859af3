import API
import ArgumentParser
import Domain
import Foundation

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a signed token for a user.")

    @Argument(help: "The user id (the token's sub).")
    var user: String

    @Option(help: "A role to grant; v1 knows only 'staff'.")
    var role: [String] = []

    @Option(help: "Lifetime in seconds, 1 to 31536000 (365 days).")
    var ttl: Int = 3600

    /// Tokens cannot be revoked before they expire: a year is already generous, and the bound
    /// keeps every date derived from `exp` (timers, headers) far from overflowing.
    static let longestTTL = 365 * 24 * 3600

    @Option(help: "HS256 secret, at least 32 bytes. Env: TIDELINE_JWT_SECRET.")
    var jwtSecret: String?

    func validate() throws {
        guard Identifier.isValid(user) else { throw ValidationError("user must match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$") }
        guard role.allSatisfy({ $0 == "staff" }) else { throw ValidationError("the only role v1 knows is 'staff'") }
        guard (1...Self.longestTTL).contains(ttl) else {
            throw ValidationError("--ttl must be 1 to \(Self.longestTTL) seconds (365 days), got \(ttl)")
        }
    }

    func run() async throws {
        guard let secret = jwtSecret ?? Environment.string("TIDELINE_JWT_SECRET") else {
            throw ValidationError("a JWT secret is required: --jwt-secret or TIDELINE_JWT_SECRET")
        }
        guard secret.utf8.count >= 32 else {
            throw ValidationError("the JWT secret must be at least 32 bytes long")
        }
        let tokens = await TokenService(secret: secret)
        print(try await tokens.sign(user: user, roles: role, expiresAt: Date().addingTimeInterval(TimeInterval(ttl))))
    }
}
