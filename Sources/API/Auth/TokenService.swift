import Domain
import Foundation
import JWTKit

/// Signs and verifies the contract's JSON Web Tokens: HS256 with the server's secret, claims
/// `sub`, `exp` (required) and optional `roles`.
public struct TokenService: Sendable {
    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var roles: [String]?

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    private let keys: JWTKeyCollection
    private let verified = VerifiedTokens()

    /// - Parameter secret: at least 32 bytes; jwt-kit asserts on shorter HMAC keys in debug builds.
    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func sign(user: String, roles: [String], expiresAt: Date) async throws -> String {
        try await keys.sign(Claims(sub: .init(value: user), exp: .init(value: expiresAt), roles: roles.isEmpty ? nil : roles))
    }

    /// The caller a token names, or nil when it is malformed, wrongly signed or expired.
    public func verify(_ token: String) async -> Caller? {
        if let caller = verified.caller(for: token) { return caller }
        guard let claims = try? await keys.verify(token, as: Claims.self),
              Identifier.isValid(claims.sub.value)
        else { return nil }
        let caller = Caller(user: claims.sub.value, roles: Set(claims.roles ?? []), expiresAt: claims.exp.value)
        verified.remember(caller, for: token)
        return caller
    }
}
