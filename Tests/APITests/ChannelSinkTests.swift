@testable import API
import Dispatch
import EventStore
import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import Realtime
import Synchronization
import Testing

/// ``ChannelSink`` on a testing channel whose event loop runs only when the test says so: what
/// reaches the socket, in which order, whatever was queued on the loop before.
@Suite struct ChannelSinkTests {
    /// A channel with the WebSocket frame encoder, connected, and a sink installed on it.
    func installSink() async throws -> (NIOAsyncTestingChannel, ChannelSink) {
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(WebSocketFrameEncoder())
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).get()
        // `install` hops onto the loop, which runs only when told to: run it until the sink is there.
        let installed = Mutex<Result<ChannelSink, any Error>?>(nil)
        Task {
            do {
                let sink = try await ChannelSink.install(on: channel, backlogLimit: 1 << 20)
                installed.withLock { $0 = .success(sink) }
            } catch { installed.withLock { $0 = .failure(error) } }
        }
        while true {
            await channel.testingEventLoop.run()
            if let result = installed.withLock({ $0 }) { return (channel, try result.get()) }
            await Task.yield()
        }
    }

    /// Everything the channel wrote to the socket so far, as text (frame headers included).
    func written(_ channel: NIOAsyncTestingChannel) async throws -> String {
        var all = ByteBuffer()
        while var buffer = try await channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&buffer) }
        return String(decoding: all.readableBytesView, as: UTF8.self)
    }

    static func event(_ position: Int64) -> LiveConnection.Outbound {
        let stored = RecordedEvent(
            position: position, streamName: "room-a", version: position, type: "chat.message_posted",
            occurredAt: "2026-12-02T12:00:00.000Z",
            data: #"{"room_id":"a","message_id":"m\#(position)","author":"ann","text":"hi","client_msg_id":null}"#, metadata: "{}"
        )
        return .event(topic: .room("a"), FeedEvent(stored))
    }

    /// Issue 21, defect 5: live frames already waiting for the loop's write pass when the session
    /// writes `caught_up`, and the held events released after it, must reach the socket in the
    /// order they were handed over: `caught_up` between them, not after both.
    @Test func aReplyQueuedBehindWaitingLiveFramesKeepsItsPlace() async throws {
        let (channel, sink) = try await installSink()
        // The loop is busy until the test releases it: what is handed to it meanwhile waits.
        let gate = DispatchSemaphore(value: 0)
        channel.testingEventLoop.execute { gate.wait() }
        #expect(sink.enqueue([Self.event(1)]))  // schedules the loop's write pass
        sink.writeReply(#"{"type":"caught_up","ref":"1","event_id":"1"}"#)
        #expect(sink.enqueue([Self.event(2)]))  // joins the waiting frames
        gate.signal()
        try await channel.testingEventLoop.submit {}.get()
        let text = try await written(channel)
        let first = try #require(text.range(of: #""message_id":"m1""#)).lowerBound
        let caughtUp = try #require(text.range(of: #""caught_up""#)).lowerBound
        let second = try #require(text.range(of: #""message_id":"m2""#)).lowerBound
        #expect(first < caughtUp && caughtUp < second, "written: \(text)")
        _ = try await channel.finish()
    }
}
