import API
import ArgumentParser
import Commands
import EventStore
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations, then serve HTTP, WebSocket and SSE."
    )

    @Option(help: "Address to listen on. Env: TIDELINE_HOST.")
    var host: String = Environment.string("TIDELINE_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on. Env: TIDELINE_PORT.")
    var port: Int = Environment.int("TIDELINE_PORT") ?? 8080

    @OptionGroup var database: DatabaseOptions

    @Option(help: "HS256 secret for tokens, at least 32 bytes. Env: TIDELINE_JWT_SECRET.")
    var jwtSecret: String?

    @Flag(help: "Development mode: enables POST /v1/auth/token. Env: TIDELINE_DEV=1.")
    var dev: Bool = false

    @Flag(help: "Allow --dev on an address other than loopback (its token route mints any user's token). Env: TIDELINE_ALLOW_REMOTE_DEV=1.")
    var allowRemoteDev: Bool = false

    @Flag(help: "Send a Server-Timing header (auth, decide, db, total) on API responses. Env: TIDELINE_SERVER_TIMING=1.")
    var serverTiming: Bool = false

    @Option(help: "Commands per second per user. Env: TIDELINE_COMMAND_RATE.")
    var commandRate: Double = Environment.double("TIDELINE_COMMAND_RATE") ?? 20

    @Option(help: "Command burst per user. Env: TIDELINE_COMMAND_BURST.")
    var commandBurst: Double = Environment.double("TIDELINE_COMMAND_BURST") ?? 40

    @Option(help: "Database connections for commands and API reads. Env: TIDELINE_DB_POOL.")
    var databasePool: Int = Environment.int("TIDELINE_DB_POOL") ?? 20

    @Option(help: "Database connections for the log readers (projector, reactor, live feed, replays). Env: TIDELINE_DB_READER_POOL.")
    var databaseReaderPool: Int = Environment.int("TIDELINE_DB_READER_POOL") ?? 6

    @Option(help: "Commands that share one transaction at most (group commit; 1 = each on its own). Env: TIDELINE_COMMAND_BATCH.")
    var commandBatch: Int = Environment.int("TIDELINE_COMMAND_BATCH") ?? 64

    @Option(help: "Bytes of events, snapshots and replies in one command batch at most. Env: TIDELINE_COMMAND_BATCH_BYTES.")
    var commandBatchBytes: Int = Environment.int("TIDELINE_COMMAND_BATCH_BYTES") ?? 1 << 20

    @Option(help: "Command batches sent at once at most; commands arriving beyond form the next. Env: TIDELINE_COMMAND_BATCHES_IN_FLIGHT.")
    var commandBatchesInFlight: Int = Environment.int("TIDELINE_COMMAND_BATCHES_IN_FLIGHT") ?? 2

    @Option(help: "Open WebSockets and SSE streams per user. Env: TIDELINE_MAX_STREAMS_PER_USER.")
    var maxStreamsPerUser: Int = Environment.int("TIDELINE_MAX_STREAMS_PER_USER") ?? 100

    @Option(help: "Open WebSockets and SSE streams in this process. Env: TIDELINE_MAX_STREAMS.")
    var maxStreams: Int = Environment.int("TIDELINE_MAX_STREAMS") ?? 50_000

    @Option(help: "Largest request body in bytes. Env: TIDELINE_MAX_BODY_BYTES.")
    var maxBodyBytes: Int = Environment.int("TIDELINE_MAX_BODY_BYTES") ?? 64 * 1024

    @Option(help: "Largest WebSocket frame from a client in bytes, after decompression. Env: TIDELINE_MAX_FRAME_BYTES.")
    var maxFrameBytes: Int = Environment.int("TIDELINE_MAX_FRAME_BYTES") ?? 64 * 1024

    @Option(help: "Topics per WebSocket connection or SSE stream. Env: TIDELINE_MAX_TOPICS.")
    var maxTopics: Int = Environment.int("TIDELINE_MAX_TOPICS") ?? 100

    @Option(help: "WebSocket frames per second per connection before rate_limited. Env: TIDELINE_WS_FRAME_RATE.")
    var wsFrameRate: Double = Environment.double("TIDELINE_WS_FRAME_RATE") ?? 50

    @Option(help: "Live events held during a replay, and KiB of WebSocket backlog, before 4008. Env: TIDELINE_LIVE_QUEUE_LIMIT.")
    var liveQueueLimit: Int = Environment.int("TIDELINE_LIVE_QUEUE_LIMIT") ?? 4096

    @Option(help: "Seconds between SSE keep-alive comments. Env: TIDELINE_SSE_KEEP_ALIVE.")
    var sseKeepAlive: Double = Environment.double("TIDELINE_SSE_KEEP_ALIVE") ?? 15

    @Option(help: "Seconds an SSE client may leave a write untaken before its stream is closed. Env: TIDELINE_SSE_WRITE_TIMEOUT.")
    var sseWriteTimeout: Double = Environment.double("TIDELINE_SSE_WRITE_TIMEOUT") ?? 30

    @Option(help: "Seconds after which a server process that stopped renewing its presence heartbeat counts as dead and its users leave. Env: TIDELINE_PRESENCE_EXPIRY.")
    var presenceExpiry: Double = Environment.double("TIDELINE_PRESENCE_EXPIRY") ?? 20

    @Option(help: "Seconds between WebSocket pings. Env: TIDELINE_WS_PING_INTERVAL.")
    var wsPingInterval: Double = Environment.double("TIDELINE_WS_PING_INTERVAL") ?? 20

    @Option(help: "Seconds a connection may stay without a new request. Env: TIDELINE_HTTP_IDLE_TIMEOUT.")
    var httpIdleTimeout: Double = Environment.double("TIDELINE_HTTP_IDLE_TIMEOUT") ?? 60

    @Option(help: "Seconds a new connection has to send its first request's headers. Env: TIDELINE_HTTP_HEADER_TIMEOUT.")
    var httpHeaderTimeout: Double = Environment.double("TIDELINE_HTTP_HEADER_TIMEOUT") ?? 10

    @Option(help: "Seconds SIGTERM waits for streams and background work to stop before cancelling them (and 5 s more before the process is ended). Env: TIDELINE_SHUTDOWN_TIMEOUT.")
    var shutdownTimeout: Double = Environment.double("TIDELINE_SHUTDOWN_TIMEOUT") ?? 10

    @Option(help: "Log level (trace, debug, info, notice, warning, error). Env: LOG_LEVEL.")
    var logLevel: String = Environment.string("LOG_LEVEL") ?? "info"

    func run() async throws {
        let logger = makeLogger(label: "tideline", level: logLevel)
        guard let secret = jwtSecret ?? Environment.string("TIDELINE_JWT_SECRET") else {
            throw ValidationError("a JWT secret is required: --jwt-secret or TIDELINE_JWT_SECRET (at least 32 bytes)")
        }
        var configuration = AppConfiguration(
            database: try database.url(),
            jwtSecret: secret,
            migrationsDirectory: database.migrationsDirectory()
        )
        configuration.host = host
        configuration.port = port
        configuration.developmentMode = dev || Environment.bool("TIDELINE_DEV")
        configuration.allowRemoteDevelopment = allowRemoteDev || Environment.bool("TIDELINE_ALLOW_REMOTE_DEV")
        configuration.serverTiming = serverTiming || Environment.bool("TIDELINE_SERVER_TIMING")
        configuration.commandRate = commandRate
        configuration.commandBurst = commandBurst
        configuration.databasePoolSize = databasePool
        configuration.readerPoolSize = databaseReaderPool
        configuration.commandBatchSize = commandBatch
        configuration.commandBatchBytes = commandBatchBytes
        configuration.commandBatchesInFlight = commandBatchesInFlight
        configuration.maxBodySize = maxBodyBytes
        configuration.maxFrameBytes = maxFrameBytes
        configuration.maxTopics = maxTopics
        configuration.webSocketFrameRate = wsFrameRate
        configuration.liveQueueLimit = liveQueueLimit
        configuration.keepAliveInterval = try Self.duration(seconds: sseKeepAlive, of: "--sse-keep-alive")
        configuration.sseWriteTimeout = try Self.duration(seconds: sseWriteTimeout, of: "--sse-write-timeout")
        configuration.presenceExpiry = try Self.duration(seconds: presenceExpiry, of: "--presence-expiry")
        configuration.webSocketPingInterval = try Self.duration(seconds: wsPingInterval, of: "--ws-ping-interval")
        configuration.maxStreamsPerUser = maxStreamsPerUser
        configuration.maxStreams = maxStreams
        configuration.httpIdleTimeout = try Self.duration(seconds: httpIdleTimeout, of: "--http-idle-timeout")
        configuration.httpHeaderTimeout = try Self.duration(seconds: httpHeaderTimeout, of: "--http-header-timeout")
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }

        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.valueHistogramBuckets[CommandBatchMetrics.sizeLabel] = CommandBatchMetrics.sizeBuckets
        MetricsSystem.bootstrap(metrics)
        let webSocketSessions = WebSocketSessions()
        let app = try await buildApplication(
            configuration: configuration, logger: logger, metrics: registry, webSocketSessions: webSocketSessions
        )
        let limit = try Self.duration(seconds: shutdownTimeout, of: "--shutdown-timeout")
        let clock = ShutdownClock()
        // Hummingbird's own group has no shutdown deadline: one stuck stream would hang SIGTERM.
        var groupConfiguration = ServiceGroupConfiguration(
            // After the app, so it stops first: it closes WebSockets with 1001 before the server
            // quiesces. The clock is last, so it hears the signal before anything stops.
            services: [app, webSocketSessions, clock], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        // Past the limit, what is left is cancelled; a task that ignores cancellation for 5 s
        // more ends the process (ServiceGroup's fatalError) instead of hanging it.
        groupConfiguration.maximumGracefulShutdownDuration = limit
        groupConfiguration.maximumCancellationDuration = Self.cancellationLimit
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        clock.report(limit: limit, logger: logger)
    }

    /// How long cancellation may take after the graceful limit before the process is ended.
    static let cancellationLimit = Duration.seconds(5)

    /// Seconds given on the command line as a duration: a finite number above 0 and at most a
    /// day (a conversion of anything else would trap or mean nothing).
    static func duration(seconds: Double, of option: String) throws -> Duration {
        guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ValidationError("\(option) must be a number of seconds above 0 and at most 86400, got \(seconds)")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
