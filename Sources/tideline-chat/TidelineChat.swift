import ArgumentParser
import AsyncHTTPClient
import ChatCore
import Foundation
import Logging

/// `tideline-chat`: the terminal chat client (contract section 8), built on the public API only.
@main
struct TidelineChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tideline-chat",
        abstract: "Chat in a Tideline room from the terminal.",
        discussion: """
            On a terminal: type and press Enter; /help lists the commands. With stdin or stdout \
            not a terminal (pipes, scripts): every input line is a message and every message one \
            output line, "[HH:MM:SS] author: text"; the client exits when input ends and every \
            message has been acknowledged. Color is off with NO_COLOR set.
            """
    )

    @Option(help: "The server's base URL (env TIDELINE_SERVER).")
    var server: String = ProcessInfo.processInfo.environment["TIDELINE_SERVER"] ?? "http://127.0.0.1:8080"

    @Option(help: "Your user name (env TIDELINE_USER).")
    var user: String?

    @Option(help: "The room to open; created if it does not exist (env TIDELINE_ROOM).")
    var room: String = ProcessInfo.processInfo.environment["TIDELINE_ROOM"] ?? "general"

    @Option(help: "A token (env TIDELINE_TOKEN); without one, the server's development route mints one.")
    var token: String?

    @Option(help: .hidden) var backoffCapMilliseconds: Int = Int(ProcessInfo.processInfo.environment["TIDELINE_CHAT_BACKOFF_CAP_MS"] ?? "") ?? 10_000

    var resolvedUser: String { user ?? ProcessInfo.processInfo.environment["TIDELINE_USER"] ?? "" }
    var resolvedToken: String? { token ?? ProcessInfo.processInfo.environment["TIDELINE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        guard RoomID.isValid(resolvedUser) else {
            throw ValidationError("--user NAME (or TIDELINE_USER) is required: letters, digits, '_', '.', '-'")
        }
        guard RoomID.isValid(room) else { throw ValidationError("--room: '\(room)' is not a room id") }
        guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--server must be an http(s) URL such as http://127.0.0.1:8080")
        }
    }

    func run() async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let status: Int32
        do {
            status = await chat(http: http)
        }
        try? await http.shutdown()
        if status != 0 { throw ExitCode(status) }
    }

    private func chat(http: HTTPClient) async -> Int32 {
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let api = ChatAPI(http: http, server: base)
        let user = resolvedUser
        let interactive = Terminal.isTTY(STDIN_FILENO) && Terminal.isTTY(STDOUT_FILENO)
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        let style = Style(enabled: interactive && !noColor && ProcessInfo.processInfo.environment["TERM"] != "dumb")
        let formatter = MessageFormatter(me: user, style: style)

        // Token and first room before the loop: if either fails there is nothing to chat in.
        let tokens: TokenSource
        let opened: ChatAPI.OpenedRoom
        do {
            tokens = try await TokenSource(api: api, user: user, token: resolvedToken)
            opened = try await api.openRoom(room, token: await tokens.current)
        } catch {
            Terminal.emit("tideline-chat: \(error.description)\n", to: STDERR_FILENO)
            return 1
        }

        let wsURL = base.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://") + "/v1/ws"
        let connection = ChatConnection(
            url: wsURL, tokens: tokens, api: api,
            backoff: Backoff(base: .milliseconds(250), cap: .milliseconds(max(backoffCapMilliseconds, 250))),
            logger: Logger(label: "tideline-chat", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let loop = ChatLoop(api: api, tokens: tokens, connection: connection, interactive: interactive)
        let room = self.room
        let start = { () async -> ChatLoop.Outcome in
            var session = ChatSession(me: user)
            var display: any ChatDisplay = interactive
                ? TerminalDisplay(formatter: formatter, style: style) : LineDisplay(formatter: formatter)
            for effect in session.handle(.roomOpened(room: room, readThrough: opened.readThrough, history: opened.history)) {
                if case .show(let output) = effect { display.show(output) }
            }
            return await loop.run(session: session, display: display)
        }
        // Raw mode before anything is drawn: keys typed while the history prints are neither
        // echoed into it by the terminal nor lost; the editor shows them on its input line.
        // (Not before the REST calls above: until the loop reads keys, Ctrl-C must still work.)
        let outcome = interactive ? await Terminal.withRawMode(start) : await start()
        return outcome == .gaveUp ? 1 : 0
    }
}
