import API
import Domain
import EventStore
import Foundation
import PostgresNIO
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

    /// SIGTERM while the read-model projector catches up on a million events and a client is
    /// replaying them: the process stops its work at the next batch or page, exits 0, and
    /// does not say it ran past its graceful-shutdown limit (it logs a warning when it does).
    /// In a cluster of its own: its bulk load is one long transaction, which would hold back the
    /// readers of every other test sharing a cluster with it.
    @Test func sigtermDuringAMillionEventCatchUpAndAReplayExitsWithinTheLimit() async throws {
        try await PrivateCluster.with { database in try await catchUpAndSigterm(database) }
    }

    private func catchUpAndSigterm(_ database: DatabaseURL) async throws {
        let port = try ServerProcess.freePort()
        let tokens = await TokenService(secret: TestServer.secret)
        let token = try await tokens.sign(user: "alice", roles: [], expiresAt: Date().addingTimeInterval(600))
        let room = TestServer.uniqueID("history")
        // The room through the API, then a million messages stored behind the projector's back.
        let first = try ServerProcess.serve(database: database, port: port)
        try await ServerProcess.waitUntilReady(port: port)
        #expect(try await ConcurrentClient.post(port: port, path: "/v1/rooms", token: token, json: #"{"room_id":"\#(room)"}"#).status == 201)
        first.kill(SIGTERM)
        #expect(await first.waitForExit() == 0)
        let stored: Int64 = 1_000_000
        try await TestDatabase.bulkLoad(database) { connection in
            try await connection.query("""
                INSERT INTO events (position, transaction_id, stream_name, version, type, data, metadata, occurred_at)
                SELECT nextval('event_position_seq'), pg_current_xact_id(), s.stream_name, s.version + g, 'chat.message_posted',
                       jsonb_build_object('room_id', \(room), 'message_id', 'm-' || g, 'author', 'alice', 'text', 'message ' || g, 'client_msg_id', 'c-' || g),
                       jsonb_build_object('actor', 'alice', 'command_id', 'seed-' || g, 'correlation_id', 'seed-' || g, 'causation_id', NULL),
                       now()
                FROM streams AS s, generate_series(1, \(stored)::bigint) AS g
                WHERE s.stream_name = \(StreamName.room(room))
                ORDER BY g
                """, logger: TestDatabase.logger)
            try await connection.query(
                "UPDATE streams SET version = version + \(stored) WHERE stream_name = \(StreamName.room(room))", logger: TestDatabase.logger
            )
        }

        let server = try ServerProcess.serve(database: database, port: port)
        do {
            try await ServerProcess.waitUntilReady(port: port)
            let replay = try await SSEClient.open(port: port, path: "/v1/stream?topics=room:\(room)&since=0", token: token)
            // The replay is under way (and then left unread, so it is also a stalled client).
            let received = try await SSEClient.read(replay) { $0.messageCount >= 1_000 }
            #expect(received.messageCount == 1_000)
            server.kill(SIGTERM)
            let status = try await withHangGuard(.seconds(120)) { await server.waitForExit() }
            let output = server.readOutput()
            #expect(status == 0, "\(output)")
            #expect(!output.contains("graceful shutdown took longer"), "\(output)")
        } catch {
            server.kill(SIGKILL)
            throw error
        }
        // The premise: the projector was still catching up when the signal came.
        let projected = try await TestDatabase.scalar("SELECT position FROM checkpoints WHERE name = 'read_model'", on: database)
        #expect(projected < stored)
    }
}
