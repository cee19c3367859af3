import EventStore
import Foundation

/// Everything `tideline serve` can be told. Each field is filled from a command-line option or
/// its environment variable by the `tideline` executable (contract section 8).
public struct AppConfiguration: Sendable {
    /// `--host` / `TIDELINE_HOST`, default 127.0.0.1.
    public var host: String = "127.0.0.1"
    /// `--port` / `TIDELINE_PORT`, default 8080.
    public var port: Int = 8080
    /// `--database-url` / `DATABASE_URL`.
    public var database: DatabaseURL
    /// `--jwt-secret` / `TIDELINE_JWT_SECRET`: at least 32 bytes (jwt-kit asserts on shorter HMAC keys).
    public var jwtSecret: String
    /// `--dev` / `TIDELINE_DEV=1`: enables `POST /v1/auth/token`.
    public var developmentMode: Bool = false
    /// `--allow-remote-dev` / `TIDELINE_ALLOW_REMOTE_DEV=1`: development mode on an address other
    /// than loopback. The token route mints any user's token, staff included, for anyone who can
    /// reach it, so serving it to a network takes being told twice.
    public var allowRemoteDevelopment: Bool = false
    /// `--server-timing` / `TIDELINE_SERVER_TIMING=1`: a `Server-Timing` header on `/v1` responses
    /// saying where the request's time went (auth, decide, db, total). Off by default: it tells
    /// clients about the server's internals.
    public var serverTiming: Bool = false
    /// `--command-rate` / `TIDELINE_COMMAND_RATE`: sustained commands per second per user, default 20.
    public var commandRate: Double = 20
    /// `--command-burst` / `TIDELINE_COMMAND_BURST`: burst size per user, default 40.
    public var commandBurst: Double = 40
    /// `--max-body-bytes` / `TIDELINE_MAX_BODY_BYTES`: largest request body accepted, default 64 KiB.
    public var maxBodySize: Int = 64 * 1024
    /// `--max-frame-bytes` / `TIDELINE_MAX_FRAME_BYTES`: largest WebSocket frame from a client,
    /// after decompression, default 64 KiB (contract; 1009 beyond).
    public var maxFrameBytes: Int = 64 * 1024
    /// `--max-topics` / `TIDELINE_MAX_TOPICS`: topics per WebSocket connection or SSE stream,
    /// default 100 (contract).
    public var maxTopics: Int = 100
    /// `--migrations` / `TIDELINE_MIGRATIONS`: the folder holding `NNN_name.sql` files.
    public var migrationsDirectory: URL
    /// `--database-pool` / `TIDELINE_DB_POOL`: connections in the pool that serves commands and
    /// API reads, default 20.
    public var databasePoolSize: Int = 20
    /// `--database-reader-pool` / `TIDELINE_DB_READER_POOL`: connections in the separate pool of
    /// the log readers (projector, reactor, event feed, replays), default 6. Separate so that a
    /// burst of commands never keeps the readers from the log, nor a burst of replays the
    /// commands from the database. The projector, the reactor and the feed hold at most one
    /// connection each; the rest serve replay pages, which never take more than that at once
    /// (``ReadPermits``: pool size minus 3, at least 1).
    public var readerPoolSize: Int = 6
    /// `--command-batch` / `TIDELINE_COMMAND_BATCH`: at most this many commands share one
    /// transaction (group commit), default 64. 1 commits every command on its own.
    public var commandBatchSize: Int = 64
    /// `--command-batch-bytes` / `TIDELINE_COMMAND_BATCH_BYTES`: and at most about this many
    /// bytes of events, snapshots and replies, default 1 MiB (a larger command goes alone).
    public var commandBatchBytes: Int = 1 << 20
    /// `--command-batches-in-flight` / `TIDELINE_COMMAND_BATCHES_IN_FLIGHT`: batches sent at once
    /// at most, default 2; commands arriving beyond wait and form the next batch. More than one,
    /// so that a batch waiting in the database for a stream's lock does not hold up every command.
    public var commandBatchesInFlight: Int = 2
    /// How long `min_event_id` waits for the read model before answering 503, default 2 s.
    public var readYourWritesTimeout: Duration = .seconds(2)
    /// The fallback poll: readers look at the log at least this often even if no doorbell rings.
    public var pollInterval: Duration = .seconds(1)
    /// `--live-queue-limit` / `TIDELINE_LIVE_QUEUE_LIMIT`: how far a live client may fall behind before it is closed (4008, or the end of its SSE
    /// stream) to resume by id: this many items queued for an SSE stream or held during a
    /// replay, and this many KiB not yet taken by a WebSocket's socket (4 MiB by default).
    public var liveQueueLimit: Int = 4096
    /// `--ws-frame-rate` / `TIDELINE_WS_FRAME_RATE`: WebSocket frames per second per connection
    /// before `rate_limited` errors (contract: 50).
    public var webSocketFrameRate: Double = 50
    /// `--sse-keep-alive` / `TIDELINE_SSE_KEEP_ALIVE` (seconds): SSE keep-alive comments at least
    /// this often (contract: 15 s).
    public var keepAliveInterval: Duration = .seconds(15)
    /// `--sse-write-timeout` / `TIDELINE_SSE_WRITE_TIMEOUT` (seconds): an SSE stream whose client
    /// has not taken a write for this long is closed, like a slow WebSocket (4008); default 30 s
    /// (checked every 30 s, so it goes within 60 s).
    public var sseWriteTimeout: Duration = .seconds(30)
    /// `--presence-expiry` / `TIDELINE_PRESENCE_EXPIRY` (seconds): a server process whose
    /// presence heartbeat (every quarter of this) is older is dead and its users leave; default
    /// 20 s, so a killed process's users leave within 25 s (contract: 30 s).
    public var presenceExpiry: Duration = .seconds(20)
    /// How often presence changes are written and sent: the coalescing window (200 ms).
    public var presenceFlushInterval: Duration = .milliseconds(200)
    /// `--ws-ping-interval` / `TIDELINE_WS_PING_INTERVAL` (seconds): WebSocket pings at this interval; a client that has not answered the previous ping when
    /// the next is due is closed with 1001. Default 20 s (so a silent client goes within 40 s).
    public var webSocketPingInterval: Duration = .seconds(20)
    /// `--http-idle-timeout` / `TIDELINE_HTTP_IDLE_TIMEOUT` (seconds): a connection that sends no
    /// new request for this long is closed, default 60 s. Streams (SSE, WebSocket) are not idle.
    public var httpIdleTimeout: Duration = .seconds(60)
    /// `--http-header-timeout` / `TIDELINE_HTTP_HEADER_TIMEOUT` (seconds): a new connection must
    /// deliver its first request's head within this, default 10 s (a client trickling header
    /// bytes would otherwise hold a connection for good).
    public var httpHeaderTimeout: Duration = .seconds(10)
    /// `--max-streams-per-user` / `TIDELINE_MAX_STREAMS_PER_USER`: open WebSockets and SSE
    /// streams one user may hold together, default 100; beyond it, 429 before the handshake.
    public var maxStreamsPerUser: Int = 100
    /// `--max-streams` / `TIDELINE_MAX_STREAMS`: open WebSockets and SSE streams in this process,
    /// default 50,000 (each holds a file descriptor and some 40-60 KB).
    public var maxStreams: Int = 50_000
    /// Lifetime of tokens minted by the development token route, default 1 h.
    public var devTokenLifetime: Duration = .seconds(3600)

    public init(database: DatabaseURL, jwtSecret: String, migrationsDirectory: URL) {
        self.database = database
        self.jwtSecret = jwtSecret
        self.migrationsDirectory = migrationsDirectory
    }

    public struct InvalidConfiguration: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks what would otherwise fail later and less clearly.
    public func validate() throws(InvalidConfiguration) {
        if jwtSecret.utf8.count < 32 {
            throw InvalidConfiguration(description: "the JWT secret must be at least 32 bytes long (got \(jwtSecret.utf8.count)); set --jwt-secret or TIDELINE_JWT_SECRET")
        }
        // Port 0 asks the system for a free port (tests).
        if !(0...65535).contains(port) {
            throw InvalidConfiguration(description: "port must be 0-65535, got \(port)")
        }
        if databasePoolSize < 1 || readerPoolSize < 1 {
            throw InvalidConfiguration(description: "database pools need at least 1 connection each (got \(databasePoolSize) and \(readerPoolSize))")
        }
        if developmentMode && !allowRemoteDevelopment && !Self.isLoopback(host) {
            throw InvalidConfiguration(description: "refusing development mode on \(host): its token route would mint any user's token, staff included, for anyone who can reach it. Listen on 127.0.0.1, or add --allow-remote-dev (TIDELINE_ALLOW_REMOTE_DEV=1) if that is what you want")
        }
        if maxBodySize < 1024 || maxFrameBytes < 1024 || maxTopics < 1 || liveQueueLimit < 16 || webSocketFrameRate <= 0 {
            throw InvalidConfiguration(description: "limits out of range: bodies and frames need at least 1024 bytes, topics at least 1, the live queue at least 16, the frame rate above 0")
        }
        if keepAliveInterval <= .zero || webSocketPingInterval <= .zero || sseWriteTimeout <= .zero || presenceExpiry <= .zero {
            throw InvalidConfiguration(description: "the SSE keep-alive and the WebSocket ping interval must be positive")
        }
        if commandBatchSize < 1 || commandBatchBytes < 1 || commandBatchesInFlight < 1 {
            throw InvalidConfiguration(description: "command batches need at least one command, one byte and one in flight (got \(commandBatchSize), \(commandBatchBytes) and \(commandBatchesInFlight))")
        }
        if maxStreamsPerUser < 1 || maxStreams < 1 {
            throw InvalidConfiguration(description: "stream caps must be at least 1 (got \(maxStreamsPerUser) per user, \(maxStreams) in total)")
        }
        if httpIdleTimeout <= .zero || httpHeaderTimeout <= .zero {
            throw InvalidConfiguration(description: "HTTP idle and header timeouts must be positive")
        }
        if commandRate <= 0 || commandBurst < 1 {
            throw InvalidConfiguration(description: "command rate must be > 0 and burst >= 1")
        }
    }

    /// Whether `host` names only this machine: `localhost`, `::1` or an address in 127.0.0.0/8.
    /// Anything else (`0.0.0.0`, `::`, a name, a LAN address) may be reachable from elsewhere.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// The folder of migrations when none is configured: `./migrations` if present (a checkout
    /// or an image's working directory), else the one in the source tree this binary was built from.
    public static func defaultMigrationsDirectory(fileManager: FileManager = .default) -> URL {
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("migrations")
        if fileManager.fileExists(atPath: local.path) { return local }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations")
    }
}
