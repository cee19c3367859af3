import Foundation
import Hummingbird

/// JSON responses. Bodies are built from `Encodable` values with snake_case keys.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func make(_ status: HTTPResponse.Status, json: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: json))
        )
    }

    static func make(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        make(status, json: try encode(value))
    }
}

