#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ChatCore
import Foundation

/// The chat's one loop: everything that happens (keys, lines, frames, connection changes,
/// REST answers, signals, ticks) arrives as an `Event` on one stream and is handled in order,
/// by `ChatSession`, whose effects are performed here. Helpers run as children of one task
/// group, so quitting cancels all of them.
struct ChatLoop {
    let api: ChatAPI
    let tokens: TokenSource
    let connection: ChatConnection
    let interactive: Bool

    enum Event: Sendable {
        case connection(ChatConnection.Report)
        case input([UInt8])
        case inputEnded
        case session(ChatSession.Input)
        case signal(Int32)
        case tick
    }

    enum Outcome { case quit, gaveUp }

    /// Runs until the user quits, input ends (line mode) or the connection gives up.
    func run(session initial: ChatSession, display initialDisplay: some ChatDisplay) async -> Outcome {
        var session = initial
        var display = initialDisplay
        var editor = LineEditor()
        var keys = KeyDecoder()
        var lines = LineSplitter()
        var sender: FrameSender?
        var outcome = Outcome.quit
        // Unbounded, deliberately: the producers are this user's keyboard and one WebSocket
        // whose server bounds what it queues for us (4008); the loop only formats and prints.
        let (events, sink) = AsyncStream<Event>.makeStream()
        let reader = InputReader()
        reader.start(onBytes: { sink.yield(.input($0)) }, onEnd: { sink.yield(.inputEnded) })
        let signals = SignalWatcher(interactive ? [SIGINT, SIGTERM, SIGHUP, SIGWINCH] : [SIGINT, SIGTERM, SIGHUP]) {
            sink.yield(.signal($0))
        }
        defer {
            reader.stop()
            signals.cancel()
        }

        await withTaskGroup(of: Void.self) { group in
            let connection = self.connection
            group.addTask { await connection.run { sink.yield(.connection($0)) } }
            if interactive {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(250))
                        sink.yield(.tick)
                    }
                }
            }
            display.refresh(session: session, editor: editor)

            loop: for await event in events {
                var inputs: [ChatSession.Input] = []
                switch event {
                case .connection(.opened(let newSender)):
                    sender = newSender
                    inputs = [.connected]
                case .connection(.frame(let text)):
                    guard let frame = try? ServerFrame.decode(text) else { continue }  // not ours to judge; skip it
                    inputs = [.frame(frame, at: .now)]
                case .connection(.closed(let reason)):
                    sender = nil
                    inputs = [.disconnected(reason)]
                case .connection(.retrying(let delay)):
                    inputs = [.retrying(after: delay)]
                case .connection(.gaveUp(let reason)):
                    outcome = .gaveUp
                    inputs = [.gaveUp(reason)]
                case .input(let bytes) where interactive:
                    for key in keys.feed(bytes) {
                        switch editor.handle(key) {
                        case .edited: inputs.append(.edited(at: .now, isEmpty: editor.isEmpty))
                        case .submit(let line): inputs.append(.line(line))
                        case .quit: inputs.append(.line("/quit"))
                        case .redraw: display.repaint(session: session, editor: editor)
                        case .moved, .none: break
                        }
                    }
                case .input(let bytes):
                    inputs = lines.feed(bytes).map { .message($0) }
                case .inputEnded where interactive:
                    inputs = [.line("/quit")]
                case .inputEnded:
                    inputs = (lines.finish().map { [.message($0)] } ?? []) + [.inputEnded]
                case .session(let input):
                    inputs = [input]
                case .signal(SIGWINCH):
                    display.repaint(session: session, editor: editor)
                case .signal:
                    inputs = [.line("/quit")]
                case .tick:
                    inputs = [.tick(at: .now)]
                }
                var quit = false
                for input in inputs {
                    for effect in session.handle(input) {
                        switch effect {
                        case .send(let frame): sender?.send(frame)
                        case .show(let output): display.show(output)
                        case .openRoom(let room): group.addTask { sink.yield(.session(await open(room))) }
                        case .leaveRoom(let room): group.addTask { sink.yield(.session(await leave(room))) }
                        case .listRooms: group.addTask { sink.yield(.session(await listRooms())) }
                        case .retrySubscription(let delay):
                            group.addTask {
                                guard (try? await Task.sleep(for: delay)) != nil else { return }  // quitting
                                sink.yield(.session(.subscriptionRetryDue))
                            }
                        case .quit: quit = true
                        }
                    }
                }
                display.refresh(session: session, editor: editor)
                if quit { break loop }
            }
            // Close the socket with a normal close frame, then stop every helper.
            sender?.close()
            group.cancelAll()
        }
        display.finish()
        return outcome
    }

    private func open(_ room: String) async -> ChatSession.Input {
        do {
            let opened = try await api.openRoom(room, token: await tokens.current)
            return .roomOpened(room: room, readThrough: opened.readThrough, history: opened.history)
        } catch {
            return .roomFailed(room: room, reason: error.description)
        }
    }

    private func leave(_ room: String) async -> ChatSession.Input {
        do {
            try await api.leave(room, token: await tokens.current)
            return .roomLeft(room: room)
        } catch {
            return .requestFailed("cannot leave #\(room): \(error.description)")
        }
    }

    private func listRooms() async -> ChatSession.Input {
        do {
            return .roomsListed(try await api.rooms(token: await tokens.current))
        } catch {
            return .requestFailed("cannot list rooms: \(error.description)")
        }
    }
}
