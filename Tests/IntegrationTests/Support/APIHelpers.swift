import Domain
import Foundation
import HTTPTypes
import Testing

// Small readers and checks shared by the API test suites: what a client of the API would write
// to look at a reply, nothing that knows how the server is built.

extension JSONValue {
    /// The member `key` of an object; nil for a missing key or a value that is not an object.
    subscript(member key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    var asString: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    var asInt: Int64? {
        guard case .int(let value) = self else { return nil }
        return value
    }

    var asBool: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    /// The elements of an array; empty for anything else.
    var asArray: [JSONValue] {
        guard case .array(let values) = self else { return [] }
        return values
    }

    var isNull: Bool { self == .null }
}

extension TestServer.Reply {
    /// The elements of the array at `key` of the body.
    func array(_ key: String) -> [JSONValue] { self[key]?.asArray ?? [] }

    /// The `field` of every entry of a validation problem's `errors`.
    var errorFields: [String] { array("errors").compactMap { $0[member: "field"]?.asString } }

    /// The response's `Content-Type` without parameters, lower-cased.
    var mediaType: String {
        (headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }
}

/// Checks that `reply` is the contract's problem+json error: the status, the `code`, the
/// fields `type, title, status, detail, code` and, for `field`, an `errors` entry naming it.
func expectProblem(
    _ reply: TestServer.Reply, _ status: HTTPResponse.Status, _ code: String, field: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(reply.status == status, "body: \(reply.text)", sourceLocation: sourceLocation)
    if status.code < 500 {
        #expect(reply.status.code < 500, "a client mistake is never a 5xx", sourceLocation: sourceLocation)
    }
    #expect(reply.mediaType == "application/problem+json", sourceLocation: sourceLocation)
    #expect(reply.code == code, "body: \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply["status"]?.asInt == Int64(status.code), sourceLocation: sourceLocation)
    for key in ["type", "title", "detail"] {
        #expect(reply.string(key) != nil, "problem lacks string `\(key)`: \(reply.text)", sourceLocation: sourceLocation)
    }
    if let field {
        #expect(reply.errorFields.contains(field), "errors should name \(field): \(reply.text)", sourceLocation: sourceLocation)
    }
}

/// A 422 `validation_failed` naming `field`.
func expectValidation(_ reply: TestServer.Reply, field: String, sourceLocation: SourceLocation = #_sourceLocation) {
    expectProblem(reply, .unprocessableContent, "validation_failed", field: field, sourceLocation: sourceLocation)
}

/// Whether `s` is an RFC 3339 UTC time with milliseconds, as the contract writes times:
/// `2026-11-22T12:00:00.123Z`.
func isRFC3339Milliseconds(_ s: String) -> Bool {
    s.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
}

/// Re-asks `attempt` until it returns a value or the attempts run out: for asynchronous
/// reactions (the read model, the order notification), never as a timing assertion.
func eventually<T>(
    attempts: Int = 150, every interval: Duration = .milliseconds(100), _ attempt: () async throws -> T?
) async throws -> T? {
    for _ in 0..<attempts {
        if let value = try await attempt() { return value }
        try await Task.sleep(for: interval)
    }
    return nil
}

/// Waits until `condition` holds (a reaction in another process, a reader catching up),
/// checking every 50 ms, and fails after `limit` rather than hanging the suite.
func eventually(limit: Duration = .seconds(60), _ what: String, _ condition: () async throws -> Bool) async throws {
    let interval = Duration.milliseconds(50)
    let attempts = Int(limit / interval)
    guard try await eventually(attempts: attempts, every: interval, { try await condition() ? true : nil }) != nil else {
        struct TimedOut: Error, CustomStringConvertible { let description: String }
        throw TimedOut(description: "gave up waiting for: \(what)")
    }
}

extension TestServer {
    /// A GET that reads one's own writes (its path carries `min_event_id`). A 503 is the
    /// contract's "not caught up yet, retry after `Retry-After`": do as a client would, a few times.
    func read(_ path: String, as user: String?, staff: Bool = false) async throws -> Reply {
        var reply = try await get(path, as: user, staff: staff)
        for _ in 0..<10 where reply.status == .serviceUnavailable {
            let retryAfter = reply.headers[.retryAfter].flatMap { Int($0) }
            #expect(retryAfter != nil, "a 503 must carry Retry-After")
            try await Task.sleep(for: .seconds(retryAfter ?? 1))
            reply = try await get(path, as: user, staff: staff)
        }
        return reply
    }

    /// Every stored event of this test's database up to at least `eventID`, read through the
    /// staff log route (which may lag the log like every read, hence `min_event_id`).
    func allEvents(through eventID: String) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        var after = "0"
        while true {
            let page = try await read("/v1/events?after=\(after)&limit=1000&min_event_id=\(eventID)", as: "auditor", staff: true)
            #expect(page.status == .ok, "\(page.text)")
            let batch = page.array("events")
            events += batch
            guard !batch.isEmpty, let next = page.string("next_after") else { return events }
            after = next
        }
    }

    /// The stored events of one type up to at least `eventID`, as staff sees them.
    func events(ofType type: String, through eventID: String?) async throws -> [JSONValue] {
        let eventID = try #require(eventID, "no event id to read up to")
        return try await allEvents(through: eventID).filter { $0[member: "type"]?.asString == type }
    }

    /// Posts a message as `user` and returns its reply (201 expected).
    @discardableResult
    func postMessage(_ text: String, in room: String, by user: String, clientMsgID: String? = nil) async throws -> Reply {
        let idField = clientMsgID.map { #","client_msg_id":"\#($0)""# } ?? ""
        return try await post("/v1/rooms/\(room)/messages", as: user, json: #"{"text":"\#(text)"\#(idField)}"#)
    }
}
