import Domain
import Foundation
import Hummingbird

/// A client-facing error, rendered as `application/problem+json` (RFC 9457) with the contract's
/// `code`. Every failure is mapped to one of these exactly once, in ``ProblemMiddleware``.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var fieldErrors: [FieldError] = []
    /// Seconds, for 429 and 503.
    public var retryAfter: Int?
    public var extraHeaders: HTTPFields = [:]

    public static func malformed(_ detail: String) -> Self { .init(status: .badRequest, code: "malformed_request", detail: detail) }
    public static func unauthorized(_ detail: String) -> Self {
        .init(status: .unauthorized, code: "unauthorized", detail: detail, extraHeaders: [.wwwAuthenticate: "Bearer"])
    }
    public static func forbidden(_ detail: String) -> Self { .init(status: .forbidden, code: "forbidden", detail: detail) }
    public static func notFound(_ detail: String) -> Self { .init(status: .notFound, code: "not_found", detail: detail) }
    public static func conflict(_ detail: String) -> Self { .init(status: .conflict, code: "conflict", detail: detail) }
    public static func payloadTooLarge(_ limit: Int) -> Self {
        .init(status: .contentTooLarge, code: "payload_too_large", detail: "request body exceeds \(limit) bytes")
    }
    public static func unsupportedMediaType(_ detail: String) -> Self {
        .init(status: .unsupportedMediaType, code: "unsupported_media_type", detail: detail)
    }
    public static func validation(_ errors: [FieldError]) -> Self {
        .init(status: .unprocessableContent, code: "validation_failed",
              detail: errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), fieldErrors: errors)
    }
    public static func validation(field: String, _ message: String) -> Self {
        validation([FieldError(field: field, message: message)])
    }
    public static func rateLimited(retryAfter: Int) -> Self {
        .init(status: .tooManyRequests, code: "rate_limited", detail: "too many commands; retry after \(retryAfter) s", retryAfter: retryAfter)
    }
    public static func unavailable(_ detail: String, retryAfter: Int = 1) -> Self {
        .init(status: .serviceUnavailable, code: "unavailable", detail: detail, retryAfter: retryAfter)
    }
    static func internalError() -> Self {
        .init(status: .internalServerError, code: "internal_error", detail: "the server failed; the error was logged")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        headers.append(contentsOf: extraHeaders)
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: .init(string: problemJSON(requestID: context.id))))
    }

    /// - Parameter requestID: the request's id (also its `X-Request-Id` header and in its log
    ///   lines), so a client can quote it when reporting a problem.
    func problemJSON(requestID: String? = nil) -> String {
        let problem = Problem(
            type: "https://tideline.dev/problems/\(code)", title: status.reasonPhrase, status: status.code,
            detail: detail, code: code, errors: fieldErrors.isEmpty ? nil : fieldErrors, requestId: requestID
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(problem), as: UTF8.self)) ?? #"{"code":"internal_error"}"#
    }

    private struct Problem: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var code: String
        var errors: [FieldError]?
        var requestId: String?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, code, errors
            case requestId = "request_id"
        }
    }
}
