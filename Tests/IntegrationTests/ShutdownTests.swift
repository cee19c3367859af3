import API
import Domain
import Foundation
import Testing
import WSClient

/// SIGTERM: WebSockets are closed with 1001, SSE streams end, and the process exits 0.
@Suite struct ShutdownTests {
    @Test func sigtermClosesWebSocketsWith1001EndsStreamsAndExitsZero() async throws {
        let database = try await TestDatabase.create()
        let port = try ServerProcess.freePort()
        let server = try ServerProcess.serve(database: database, port: port)
        do {
            let tokens = await TokenService(secret: TestServer.secret)
            let token = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
            try await ServerProcess.waitUntilReady(port: port)
            let room = TestServer.uniqueID("room")
            #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: token, json: #"{"room_id":"\#(room)"}"#).status == 201)
            let stream = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: token)
            async let streamed = SSEClient.read(stream) { _ in false }  // reads until the server ends it
            let close = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/ws?access_token=\(token)", logger: TestDatabase.logger) { inbound, outbound, _ in
                var frames = FrameReader(inbound)
                try await outbound.write(.text(#"{"type":"subscribe","ref":"1","topics":["room:\#(room)"]}"#))
                _ = try await frames.until { $0.frameType == "caught_up" }
                server.kill(SIGTERM)
                while try await frames.next() != nil {}
            }
            #expect(close?.closeCode == .goingAway)
            let messages = try await streamed
            // Reaching here means the server ended the stream (the read stops only at its end).
            #expect(messages.first?.event == "retry")
            #expect(await server.waitForExit() == 0)
        } catch {
            server.kill(SIGKILL)
            throw error
        }
        await TestDatabase.drop(database)
    }
}
