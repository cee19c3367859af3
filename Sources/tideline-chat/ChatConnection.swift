import ChatCore
import Foundation
import HTTPTypes
import Logging
import NIOWebSocket
import Synchronization
import WSClient

/// The WebSocket side: connects, reports frames, and reconnects by the `ReconnectPolicy` until
/// it is cancelled or the policy gives up. The chat loop learns of everything through `report`,
/// in order, and writes through the `FrameSender` each connection hands it.
struct ChatConnection: Sendable {
    /// `ws://host:port/v1/ws`.
    let url: String
    let tokens: TokenSource
    let api: ChatAPI
    let backoff: Backoff
    let logger: Logger

    enum Report: Sendable {
        case opened(FrameSender)
        case frame(String)
        case closed(Disconnect)
        case retrying(after: Duration)
        case gaveUp(String)
    }

    /// Runs until cancelled, or until the policy gives up (reported as `.gaveUp`).
    func run(report: @escaping @Sendable (Report) -> Void) async {
        var policy = ReconnectPolicy(canRefreshToken: tokens.canRefresh, backoff: backoff)
        while !Task.isCancelled {
            let (outcome, wasOpen) = await connectOnce(token: await tokens.current, report: report)
            if Task.isCancelled { return }
            if wasOpen { policy.connected() }
            report(.closed(outcome))
            switch policy.decide(outcome) {
            case .now:
                continue
            case .after(let delay):
                report(.retrying(after: delay))
                try? await Task.sleep(for: delay)
            case .refreshToken:
                do {
                    try await tokens.refresh()
                } catch {
                    report(.gaveUp("the token expired and a new one could not be fetched: \(error)"))
                    return
                }
            case .giveUp(let reason):
                report(.gaveUp(reason))
                return
            }
        }
    }

    /// One connection, from handshake to close: how it ended and whether it was ever open.
    private func connectOnce(token: String, report: @escaping @Sendable (Report) -> Void) async -> (Disconnect, Bool) {
        let opened = OpenedFlag()
        var configuration = WebSocketClientConfiguration(
            maxFrameSize: 1 << 16,
            additionalHeaders: [.secWebSocketProtocol: "tideline.v1", .authorization: "Bearer \(token)"],
            // Our own pings notice a connection that died silently (no FIN, no RST).
            autoPing: .enabled(timePeriod: .seconds(15))
        )
        configuration.closeTimeout = .seconds(2)
        do {
            let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                let (texts, continuation) = AsyncStream<String>.makeStream()
                opened.set()
                report(.opened(FrameSender(continuation)))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Writer: frames from the chat loop; when it finishes the sender (quitting, or
                    // this task was cancelled), close normally so the server hears a goodbye.
                    group.addTask {
                        for await text in texts { try await outbound.write(.text(text)) }
                        try await outbound.close(.normalClosure, reason: "bye")
                    }
                    try await withTaskCancellationHandler {
                        for try await message in inbound.messages(maxSize: 1 << 16) {
                            if case .text(let text) = message { report(.frame(text)) }
                        }
                    } onCancel: {
                        continuation.finish()
                    }
                    continuation.finish()
                    group.cancelAll()
                }
            }
            guard let close else { return (.dropped("the connection closed without a close frame"), opened.value) }
            return (.closed(code: Self.number(close.closeCode), reason: close.reason ?? ""), opened.value)
        } catch let error as WebSocketClientError where error == .webSocketUpgradeFailed {
            return (.rejected(status: await api.status(token: token)), false)
        } catch {
            return (.dropped(Self.describe(error)), opened.value)
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    static func number(_ code: WebSocketErrorCode) -> Int {
        switch code {
        case .normalClosure: 1000
        case .goingAway: 1001
        case .protocolError: 1002
        case .unacceptableData: 1003
        case .dataInconsistentWithMessage: 1007
        case .policyViolation: 1008
        case .messageTooLarge: 1009
        case .missingExtension: 1010
        case .unexpectedServerError: 1011
        case .unknown(let value): Int(value)
        }
    }

    /// Set once the handshake succeeded; read after the connection ended.
    private final class OpenedFlag: Sendable {
        private let opened = Mutex(false)
        func set() { opened.withLock { $0 = true } }
        var value: Bool { opened.withLock { $0 } }
    }
}

/// Writes frames on one connection. Frames written after it closed are dropped: what matters
/// (posts) stays in the outbox until acknowledged and is sent again on the next connection.
struct FrameSender: Sendable {
    private let continuation: AsyncStream<String>.Continuation

    init(_ continuation: AsyncStream<String>.Continuation) {
        self.continuation = continuation
    }

    func send(_ frame: ClientFrame) { continuation.yield(frame.json) }

    /// Closes the connection normally.
    func close() { continuation.finish() }
}
