import Hummingbird
import Realtime

/// `GET /v1/events`: the global log in id order, for staff.
extension RouteContext {
    func addEventRoutes(to group: RouterGroup<TidelineRequestContext>) {
        group.get("events") { request, context in
            let caller = try context.requireCaller()
            guard caller.isStaff else { throw APIError.forbidden("reading the event log needs the staff role") }
            let after = try QueryParameters.optionalEventID(request, "after") ?? 0
            let limit = try QueryParameters.limit(request, range: 1...1000, defaultValue: 100)
            let page = try await store.readAll(after: after, limit: limit)
            let nextAfter = page.events.last?.position ?? after
            let events = page.events.map(\.envelopeJSON).joined(separator: ",")
            return JSONResponse.make(.ok, json: #"{"events":[\#(events)],"next_after":"\#(nextAfter)"}"#)
        }
    }
}
