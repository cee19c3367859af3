import Domain
import Foundation

/// Parses a JSON object literal the way the API parses a request body.
func body(_ json: String) -> JSONObject {
    do {
        return try JSONDecoder().decode(JSONObject.self, from: Data(json.utf8))
    } catch {
        fatalError("test body is not a JSON object: \(json): \(error)")
    }
}

/// The field errors a validation throws, or nil when it succeeds.
func fieldErrors<T>(_ make: () throws(ValidationFailure) -> T) -> [FieldError]? {
    do {
        _ = try make()
        return nil
    } catch {
        return error.errors
    }
}

/// The fields named by the errors a validation throws; empty when it succeeds.
func failingFields<T>(_ make: () throws(ValidationFailure) -> T) -> [String] {
    fieldErrors(make)?.map(\.field) ?? []
}

/// The rejection a decide function throws, or nil when it succeeds.
func rejection<T>(_ decide: () throws(DomainRejection) -> T) -> DomainRejection? {
    do {
        _ = try decide()
        return nil
    } catch {
        return error
    }
}

/// A JSON string literal (quoted and escaped) for `s`, for building bodies.
func quoted(_ s: String) -> String {
    String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
}

/// Folds events into a state the way the store's reader does: versions count from 1.
func fold<State>(
    _ events: [DomainEvent], from state: State? = nil, startingAt first: Int64 = 1,
    _ evolve: (State?, DomainEvent, Int64) -> State?
) -> State? {
    var state = state
    for (offset, event) in events.enumerated() {
        state = evolve(state, event, first + Int64(offset))
    }
    return state
}

/// Parses encoded event data back into a JSON object for key-by-key assertions.
func jsonObject(_ data: Data) throws -> JSONObject {
    try JSONDecoder().decode(JSONObject.self, from: data)
}

/// Factories for commands, so tests state only what they are about.
enum Make {
    static func createRoom(_ id: String = "general", visibility: Visibility = .public) -> CreateRoom {
        try! CreateRoom(body: ["room_id": .string(id), "visibility": .string(visibility.rawValue)])
    }

    static func post(_ text: String = "hi") -> PostMessage {
        try! PostMessage(body: ["text": .string(text)])
    }

    static func addMember(_ user: String) -> AddMember {
        try! AddMember(body: ["user": .string(user)])
    }

    static func order(_ items: [(String, Int64, Int64)] = [("sku-1", 2, 150)], currency: String = "EUR") -> CreateOrder {
        let lines: [JSONValue] = items.map { sku, quantity, price in
            .object(["sku": .string(sku), "quantity": .int(quantity), "unit_price_cents": .int(price)])
        }
        return try! CreateOrder(body: ["items": .array(lines), "currency": .string(currency)])
    }

    static func notification(to user: String = "alice", kind: String = "announcement", content: String = "Hello")
        -> SendNotification
    {
        try! SendNotification(body: ["user_id": .string(user), "kind": .string(kind), "content": .string(content)])
    }
}
