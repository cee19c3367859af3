import Domain
import Foundation
import Hummingbird

/// Reads a command's JSON body: size limit (413), media type (415), JSON syntax (400), and a
/// top-level object (422). Field-level validation is the domain's job.
enum RequestBody {
    static func object(_ request: Request, limit: Int, required: Bool = true) async throws -> JSONObject {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit)
        }
        if buffer.readableBytes == 0 {
            if required { throw APIError.malformed("a JSON body is required") }
            return [:]
        }
        if let contentType = request.headers[.contentType], !isJSON(contentType) {
            throw APIError.unsupportedMediaType("the body must be application/json, got \(contentType)")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: buffer)
        } catch {
            throw APIError.malformed("the body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw APIError.validation(field: "", "the body must be a JSON object")
        }
        return object
    }

    /// `application/json` or any `+json` type, with or without parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}
