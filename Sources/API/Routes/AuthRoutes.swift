import Domain
import Foundation
import Hummingbird

/// `POST /v1/auth/token`: development mode only (not even registered otherwise, so it is 404).
struct DevTokenRoute: Sendable {
    let tokens: TokenService
    let lifetime: Duration
    let maxBodySize: Int

    func add(to group: RouterGroup<TidelineRequestContext>) {
        group.post("auth/token") { request, _ in
            let body = try await RequestBody.object(request, limit: maxBodySize)
            var errors: [FieldError] = []
            var user = ""
            switch body["user"] {
            case .string(let value) where Identifier.isValid(value): user = value
            case nil, .null?: errors.append(.init(field: "user", message: "is required"))
            default: errors.append(.init(field: "user", message: "must be an identifier matching ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"))
            }
            var roles: [String] = []
            switch body["roles"] {
            case nil, .null?: break
            case .array(let values)?:
                for (index, value) in values.enumerated() {
                    guard case .string(let role) = value, role == "staff" else {
                        errors.append(.init(field: "roles[\(index)]", message: "must be \"staff\", the only role v1 knows"))
                        continue
                    }
                    roles.append(role)
                }
            default: errors.append(.init(field: "roles", message: "must be an array of strings"))
            }
            guard errors.isEmpty else { throw APIError.validation(errors) }
            let expiresAt = Date().addingTimeInterval(lifetime.seconds)
            let token = try await tokens.sign(user: user, roles: roles, expiresAt: expiresAt)
            return try JSONResponse.make(.ok, TokenReply(token: token, expiresAt: Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(expiresAt)))
        }
    }
}

struct TokenReply: Encodable {
    var token: String
    var expiresAt: String
}
