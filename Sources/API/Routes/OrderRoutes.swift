import Domain
import Foundation
import Hummingbird
import Projections

/// `/v1/orders…`: create an order (total in integer cents), read one, list them.
extension RouteContext {
    func addOrderRoutes(to group: RouterGroup<TidelineRequestContext>) {
        group.post("orders") { request, context in
            let caller = try context.requireCaller()
            let body = try await body(request)
            let command = try CreateOrder(body: body)
            let orderID = command.orderId ?? GeneratedID.make("o")
            let stream = StreamName.order(orderID)
            return try await runner.execute(
                command: "create_order",
                caller: caller, idempotency: try .init(request: request, body: body), stream: stream,
                evolve: { Order.evolve($0, $1, version: $2) },
                decide: { state in .append(try Order.create(command, orderId: orderID, customer: caller.user, state: state)) },
                reply: { eventID in
                    .init(status: .created, json: try JSONResponse.encode(
                        OrderReply(orderId: orderID, totalCents: command.totalCents, eventId: eventID)
                    ))
                }
            ).response
        }
        group.get("orders/:order_id") { _, context in
            let caller = try context.requireCaller()
            let orderID = try identifier(context, "order_id", kind: "order")
            // Another customer's order answers exactly as a missing one: ids are not confirmed.
            guard let order = try await readModel.order(id: orderID), caller.isStaff || order.customerID == caller.user else {
                throw APIError.notFound("order \(orderID) not found")
            }
            return try JSONResponse.make(.ok, try OrderView(order))
        }
        group.get("orders") { request, context in
            let caller = try context.requireCaller()
            let customer = caller.isStaff ? nil : caller.user
            let limit = try QueryParameters.limit(request, range: 1...500, defaultValue: 100)
            // `before` (contract section 10) pages newest first; empty means from the newest.
            if let rawBefore = request.uri.queryParameters.get("before") {
                guard request.uri.queryParameters.get("after") == nil else {
                    throw APIError.validation(field: "before", "give before or after, not both")
                }
                let before = rawBefore.isEmpty ? nil : try QueryParameters.eventID(rawBefore, field: "before")
                // One more than asked tells whether another page follows.
                let found = try await readModel.orders(customer: customer, before: before, limit: limit + 1)
                let orders = found.prefix(limit)
                return try JSONResponse.make(.ok, OrderList(
                    orders: try orders.map(OrderView.init),
                    next: .before(found.count > limit ? orders.last.map { String($0.eventID) } : nil)
                ))
            }
            let after = try QueryParameters.optionalEventID(request, "after")
            let found = try await readModel.orders(customer: customer, after: after, limit: limit + 1)
            let orders = found.prefix(limit)
            return try JSONResponse.make(.ok, OrderList(
                orders: try orders.map(OrderView.init),
                next: .after(found.count > limit ? orders.last.map { String($0.eventID) } : nil)
            ))
        }
    }
}

struct OrderReply: Encodable {
    var orderId: String
    var totalCents: Int64
    var eventId: String
}

struct OrderView: Encodable {
    var orderId: String
    var customerId: String
    var items: [OrderItem]
    var totalCents: Int64
    var currency: String
    var eventId: String
    var occurredAt: String

    init(_ row: OrderRow) throws {
        orderId = row.orderID
        customerId = row.customerID
        items = try JSONDecoder().decode([OrderItem].self, from: Data(row.itemsJSON.utf8))
        totalCents = row.totalCents
        currency = row.currency
        eventId = String(row.eventID)
        occurredAt = row.occurredAt
    }
}

struct OrderList: Encodable {
    /// Where the next page starts: `next_after` when paging oldest first, `next_before` when
    /// paging newest first; null on the last page.
    enum Next {
        case after(String?)
        case before(String?)
    }

    var orders: [OrderView]
    var next: Next

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(orders, forKey: .orders)
        switch next {
        case .after(let id): try container.encode(id, forKey: .nextAfter)
        case .before(let id): try container.encode(id, forKey: .nextBefore)
        }
    }

    enum CodingKeys: String, CodingKey { case orders, nextAfter, nextBefore }
}
