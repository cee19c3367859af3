import API
import Domain
import Foundation
import HTTPTypes
import HummingbirdWSTesting
import NIOCore
import NIOPosix
import NIOWebSocket
import Testing
import WSClient
import WSCompression

/// The live endpoints' protocol rules as a client meets them (contract sections 3, 5, 6, 7):
/// token expiry and refresh, frame size and rate limits, compression (the handshake itself:
/// ``WebSocketHandshakeTests``).
///
/// Every wait ends on something the server does (a close frame, the end of a stream) and sits
/// inside ``withHangGuard(_:)``, so a broken behaviour fails the test instead of hanging it.
@Suite struct LiveProtocolTests {
    // MARK: Token expiry

    @Test func aWebSocketWhoseTokenExpiresIsClosedWith4001() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice", expiresIn: 2)
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, _, _ in
                    try await readUntilClosed(inbound)
                }
            }
            #expect(close?.closeCode == WebSocketErrorCode(codeNumber: 4001), "close: \(String(describing: close))")
        }
    }

    @Test func anAuthFrameWithAFreshTokenKeepsTheConnectionPastTheOldExpiry() async throws {
        try await TestServer.run { server in
            let short = try await server.token("alice", expiresIn: 2)
            let fresh = try await server.token("alice")
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(short)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"auth","ref":"a","token":"\#(fresh)"}"#))
                    let ack = try await frames.until { $0.frameType != nil }.last
                    #expect(ack?.frameType == "ack", "\(String(describing: ack))")
                    #expect(ack?[member: "ref"]?.asString == "a")
                    // Past the first token's expiry: without the refresh this would be a 4001 close.
                    try await Task.sleep(for: .seconds(3))
                    try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                    let pong = try await frames.until { $0.frameType == "pong" }.last
                    #expect(pong?[member: "ref"]?.asString == "p")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
            #expect(close?.closeCode == .normalClosure, "close: \(String(describing: close))")
        }
    }

    @Test func anAuthFrameWithAnotherUsersTokenIsForbiddenAndTheConnectionStaysOpen() async throws {
        try await TestServer.run { server in
            let alice = try await server.token("alice")
            let bob = try await server.token("bob")
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(alice)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"auth","ref":"b","token":"\#(bob)"}"#))
                    let refusal = try await frames.until { $0.frameType != nil }.last
                    #expect(refusal?.frameType == "error", "\(String(describing: refusal))")
                    #expect(refusal?[member: "code"]?.asString == "forbidden")
                    #expect(refusal?[member: "ref"]?.asString == "b")
                    try await outbound.write(.text(#"{"type":"ping","ref":"p"}"#))
                    #expect(try await frames.until { $0.frameType == "pong" }.last?[member: "ref"]?.asString == "p")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    /// Staff's token replaced by a customer's (same user): the staff-wide `orders` topic is
    /// dropped with an `error`, and other customers' orders stop arriving. (Events reach a
    /// connection in id order, so a room message posted after the order is the fence.)
    @Test func anAuthFrameWithFewerRightsDropsTheTopicsItMayNotHold() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let staff = try await server.token("alice", staff: true)
            let customer = try await server.token("alice")
            let order = #"{"items":[{"sku":"sku-1","quantity":1,"unit_price_cents":100}],"currency":"EUR"}"#
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(staff)") { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"s","topics":["orders","room:\#(room)"]}"#))
                    _ = try await frames.until { $0.frameType == "caught_up" }
                    try await outbound.write(.text(#"{"type":"auth","ref":"a","token":"\#(customer)"}"#))
                    let answers = try await frames.until { $0.frameType == "ack" }
                    let dropped = answers.first { $0.frameType == "error" }
                    #expect(dropped?[member: "code"]?.asString == "forbidden", "\(answers)")
                    #expect(dropped?[member: "message"]?.asString?.contains("orders") == true, "\(answers)")
                    #expect(try await server.post("/v1/orders", as: "carol", json: order).status == .created)
                    #expect(try await server.postMessage("fence", in: room, by: "alice").status == .created)
                    let after = try await frames.until { $0.frameType == "event" && $0[member: "topic"]?.asString == "room:\(room)" }
                    #expect(!after.contains { $0[member: "topic"]?.asString == "orders" }, "\(after)")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    @Test func anSSEStreamEndsWhenItsTokenExpires() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let token = try await server.token("alice", expiresIn: 2)
            let response = try await SSEClient.open(port: server.client.port!, path: "/v1/stream?topics=room:\(room)", token: token)
            #expect(response.status == .ok)
            // Reads until the server ends the body; only the expiry can end it here.
            let messages = try await withHangGuard { try await SSEClient.read(response) { _ in false } }
            #expect(messages.first?.event == "retry")
        }
    }

    /// A token whose expiry is far in the future streams like any other: the waits derived from
    /// the expiry are bounded (issue 11 named an overflow in the computation they replace).
    @Test func anSSEStreamWithAFarFutureTokenStreamsLikeAnyOther() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let token = try await server.token("alice", expiresIn: 1e15)
            let response = try await SSEClient.open(port: server.client.port!, path: "/v1/stream?topics=room:\(room)", token: token)
            #expect(response.status == .ok)
            #expect(try await server.postMessage("still here", in: room, by: "alice").status == .created)
            let messages = try await withHangGuard {
                try await SSEClient.read(response) { $0.events.contains { $0.event == "chat.message_posted" } }
            }
            #expect(messages.events.contains { $0.data.contains("still here") })
        }
    }

    // MARK: Limits

    @Test func aFrameOver64KiBIsClosedWith1009() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            // The client must allow itself a frame that big, or it would split it.
            let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 17)
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { inbound, outbound, _ in
                    try await outbound.write(.text(paddedPing(ref: "big", bytes: 64 * 1024 + 100)))
                    try await readUntilClosed(inbound)
                }
            }
            #expect(close?.closeCode == .messageTooLarge, "close: \(String(describing: close))")
        }
    }

    @Test func aFragmentedMessageOver64KiBIsClosedWith1009() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                    // Frames of the client's default 16 KiB, one message of more than 64 KiB.
                    try await outbound.writeTextMessage(paddedPing(ref: "big", bytes: 64 * 1024 + 100))
                    try await readUntilClosed(inbound)
                }
            }
            #expect(close?.closeCode == .messageTooLarge, "close: \(String(describing: close))")
        }
    }

    @Test func floodingFramesGetsRateLimitedThenClosedWith4029() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)") { inbound, outbound, _ in
                    async let flooded: Void = {
                        for n in 0..<400 {
                            // Once the server has closed, writes fail: the flood is over.
                            do { try await outbound.write(.text(#"{"type":"ping","ref":"\#(n)"}"#)) } catch { return }
                        }
                    }()
                    var frames = FrameReader(inbound)
                    var rateLimited = 0
                    while let frame = try await frames.next() {
                        if frame.frameType == "error", frame[member: "code"]?.asString == "rate_limited" { rateLimited += 1 }
                    }
                    await flooded
                    #expect(rateLimited > 0, "the first refusals are error frames")
                }
            }
            #expect(close?.closeCode == WebSocketErrorCode(codeNumber: 4029), "close: \(String(describing: close))")
        }
    }

    // MARK: Compression

    @Test func perMessageDeflateIsNegotiatedAndCarriesLargeFramesBothWays() async throws {
        try await TestServer.run { server in
            let room = TestServer.uniqueID("room")
            try await server.createRoom(room, by: "alice")
            let token = try await server.token("alice")
            let port = server.client.port!

            let handshake = try await withHangGuard {
                try await upgradeHandshake(port: port, path: "/v1/ws?access_token=\(token)", offering: [.secWebSocketExtensions: "permessage-deflate"])
            }
            #expect(handshake.status == 101, "\(handshake)")
            #expect(handshake.headers["sec-websocket-extensions"]?.hasPrefix("permessage-deflate") == true, "\(handshake)")

            // 2,999 characters that compress well (the server trims surrounding whitespace).
            let text = Array(repeating: "tide line", count: 300).joined(separator: " ")
            let configuration = WebSocketClientConfiguration(
                maxFrameSize: 1 << 17, extensions: [.perMessageDeflate(maxDecompressedFrameSize: 1 << 17)]
            )
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"]}"#))
                    _ = try await frames.until { $0.frameType == "caught_up" }
                    #expect(try await server.postMessage(text, in: room, by: "alice").status == .created)
                    // (The room's first events may still arrive live first when the feed lags.)
                    let event = try await frames.until { $0[member: "event"]?[member: "type"]?.asString == "chat.message_posted" }.last
                    #expect(event?[member: "event"]?[member: "data"]?[member: "text"]?.asString == text)

                    // ~40 KiB once inflated, far less on the wire: within the 64 KiB limit, which
                    // counts after decompression (the library's default would stop at 16 KiB).
                    try await outbound.write(.text(paddedPing(ref: "wide", bytes: 40 * 1024)))
                    let pong = try await frames.until { $0.frameType == "pong" || $0.frameType == "error" }.last
                    #expect(pong?.frameType == "pong", "\(String(describing: pong))")
                    #expect(pong?[member: "ref"]?.asString == "wide")
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
            #expect(close?.closeCode == .normalClosure, "close: \(String(describing: close))")
        }
    }

    /// Replayed events are written by the frame reader, live ones by the live writer: two writers
    /// on one compressed stream (one room replaying while another is live), which the client must
    /// still inflate, in the order each was written.
    @Test func aCompressedConnectionGetsReplayAndLiveEventsIntactWhileBothAreWritten() async throws {
        try await TestServer.run { server in
            let history = TestServer.uniqueID("history")
            let live = TestServer.uniqueID("live")
            try await server.createRoom(history, by: "alice")
            try await server.createRoom(live, by: "alice")
            for n in 0..<200 { try await server.postMessage("h\(n)", in: history, by: "alice") }
            let token = try await server.token("alice")
            let configuration = WebSocketClientConfiguration(extensions: [.perMessageDeflate()])
            try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { inbound, outbound, _ in
                    var frames = FrameReader(inbound)
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(live)"]}"#))
                    _ = try await frames.until { $0.frameType == "caught_up" }
                    async let posting: Void = {
                        for n in 0..<200 { try await server.postMessage("l\(n)", in: live, by: "alice") }
                    }()
                    // Replays while the live room's events keep arriving.
                    try await outbound.write(.text(#"{"type":"subscribe","ref":"2","topics":["room:\#(history)"],"since":"0"}"#))
                    var texts: [String: [String]] = [:]
                    while texts.values.map(\.count).reduce(0, +) < 400, let frame = try await frames.next() {
                        if let topic = frame[member: "topic"]?.asString,
                           let text = frame[member: "event"]?[member: "data"]?[member: "text"]?.asString {
                            texts[topic, default: []].append(text)
                        }
                    }
                    try await posting
                    #expect(texts["room:\(history)"] == (0..<200).map { "h\($0)" })
                    #expect(texts["room:\(live)"] == (0..<200).map { "l\($0)" })
                    try await outbound.close(.normalClosure, reason: nil)
                    try await readUntilClosed(frames)
                }
            }
        }
    }

    @Test func aCompressedFrameOver64KiBOnceInflatedIsClosedWith1009() async throws {
        try await TestServer.run { server in
            let token = try await server.token("alice")
            let configuration = WebSocketClientConfiguration(
                maxFrameSize: 1 << 17, extensions: [.perMessageDeflate(maxDecompressedFrameSize: 1 << 17)]
            )
            let close = try await withHangGuard {
                try await server.client.ws("/v1/ws?access_token=\(token)", configuration: configuration) { inbound, outbound, _ in
                    // About a hundred bytes on the wire, just over 64 KiB once inflated.
                    try await outbound.write(.text(paddedPing(ref: "bomb", bytes: 64 * 1024 + 100)))
                    try await readUntilClosed(inbound)
                }
            }
            #expect(close?.closeCode == .messageTooLarge, "close: \(String(describing: close))")
        }
    }
}

// MARK: - Helpers

/// A ping whose frame is about `bytes` long: the padding sits in a field the server ignores.
private func paddedPing(ref: String, bytes: Int) -> String {
    let frame = #"{"type":"ping","ref":"\#(ref)","padding":""}"#
    return #"{"type":"ping","ref":"\#(ref)","padding":"\#(String(repeating: "x", count: max(0, bytes - frame.utf8.count)))"}"#
}

/// Reads and drops frames until the server's close frame (or the end of the connection).
func readUntilClosed(_ inbound: WebSocketInboundStream) async throws {
    try await readUntilClosed(FrameReader(inbound))
}

func readUntilClosed(_ frames: FrameReader) async throws {
    var frames = frames
    while try await frames.next() != nil {}
}
