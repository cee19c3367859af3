import Commands
import EventStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import Projections
import Prometheus
import Realtime
import ServiceLifecycle

/// Builds the whole server: migrations applied, the pool, the doorbell, the projectors and the
/// HTTP routes. The executable and the tests call the same function.
/// - Parameter metrics: the registry `/metrics` shows (the executable bootstraps swift-metrics with it).
/// - Parameter webSocketSessions: run it after the application in the outer service group so
///   that WebSockets are closed with 1001 on shutdown (see ``WebSocketSessions``).
public func buildApplication(
    configuration: AppConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry? = nil,
    webSocketSessions: WebSocketSessions = WebSocketSessions()
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    // Tables first: the projectors start reading as soon as the services run.
    try await migrate(database: configuration.database, directory: configuration.migrationsDirectory, logger: logger)

    // Two pools: commands and API reads on one, the log readers on the other, so neither can
    // take every connection the other needs (see `AppConfiguration.readerPoolSize`). Their
    // connections are told apart in pg_stat_activity by application_name.
    let commandsClient = PostgresClient(
        configuration: configuration.database.clientConfiguration(
            maximumConnections: configuration.databasePoolSize, applicationName: "tideline"
        ),
        backgroundLogger: logger
    )
    let readersClient = PostgresClient(
        configuration: configuration.database.clientConfiguration(
            maximumConnections: configuration.readerPoolSize, applicationName: "tideline-readers"
        ),
        backgroundLogger: logger
    )
    // Leases are counted per pool for /metrics (`tideline_db_connections_in_use{pool}`).
    let client = DatabasePool(commandsClient, name: "commands")
    let readerClient = DatabasePool(readersClient, name: "readers")
    let doorbell = Doorbell()
    let ringer = DoorbellRinger(client: client, doorbell: doorbell, logger: logger)
    let hub = Hub()
    let store = EventStore(client: client, logger: logger)
    let readerStore = EventStore(client: readerClient, logger: logger)
    let typing = TypingRelay(client: client, hub: hub, logger: logger)
    let presence = PresenceService(
        client: client, hub: hub, logger: logger,
        expiry: configuration.presenceExpiry, flushInterval: configuration.presenceFlushInterval
    )
    let listener = DoorbellListener(
        configuration: try configuration.database.connectionConfiguration(), doorbell: doorbell, logger: logger,
        signals: [
            (TypingRelay.channel, { @Sendable in typing.received($0) }),
            (PresenceService.channel, { @Sendable in presence.received($0) }),
        ]
    )
    let progress = ProjectionProgress()
    // The projector, the reactor and the feed hold at most one reader connection each: replay
    // pages get the rest, so a crowd of resuming clients never stalls them.
    let pagePermits = ReadPermits(count: max(1, configuration.readerPoolSize - 3))
    let live = LiveSubscriptions(
        hub: hub, source: .init(store: readerStore, pagePermits: pagePermits), logger: logger,
        resumeWait: configuration.readYourWritesTimeout
    )
    let tokens = await TokenService(secret: configuration.jwtSecret)

    let routes = RouteContext(
        store: store,
        readModel: ReadModel(client: client, logger: logger),
        runner: CommandRunner(
            executor: CommandExecutor(
                client: client, logger: logger,
                batchCommands: configuration.commandBatchSize, batchBytes: configuration.commandBatchBytes,
                batchesInFlight: configuration.commandBatchesInFlight
            ),
            ringer: ringer, logger: logger
        ),
        typing: typing,
        presence: presence,
        configuration: configuration,
        logger: logger
    )
    let router = Router(context: TidelineRequestContext.self)
    // Added first so that they wrap everything, the not-found responder included: the access
    // middleware sees the problem middleware's answers.
    router.add(middleware: AccessMiddleware())
    router.add(middleware: ProblemMiddleware())
    OperationalRoutes(store: store, listener: listener, metrics: metrics, logger: logger).add(to: router)
    WebPageRoutes().add(to: router)

    let v1 = router.group("v1")
    if configuration.serverTiming { v1.add(middleware: ServerTimingMiddleware()) }
    v1.add(middleware: IdempotencyKeyMiddleware())
    if configuration.developmentMode {
        DevTokenRoute(tokens: tokens, lifetime: configuration.devTokenLifetime, maxBodySize: configuration.maxBodySize).add(to: v1)
    }
    let auth = AuthMiddleware(tokens: tokens)
    let commandLimiter = CommandRateLimiter(rate: configuration.commandRate, burst: configuration.commandBurst, limit: "commands")
    let readYourWrites = ReadYourWritesMiddleware(progress: progress, timeout: configuration.readYourWritesTimeout)
    let authenticated = v1
        .add(middleware: auth)
        .add(middleware: RateLimitMiddleware(limiter: commandLimiter))
        .add(middleware: readYourWrites)
    routes.addRoomRoutes(to: authenticated)
    routes.addOrderRoutes(to: authenticated)
    routes.addNotificationRoutes(to: authenticated)
    routes.addEventRoutes(to: authenticated)
    let streamSlots = StreamSlots(perUser: configuration.maxStreamsPerUser, total: configuration.maxStreams)
    StreamRoutes(
        live: live, hub: hub, slots: streamSlots, maxTopics: configuration.maxTopics,
        queueLimit: configuration.liveQueueLimit, keepAliveInterval: configuration.keepAliveInterval,
        writeTimeout: configuration.sseWriteTimeout
    ).add(to: authenticated)
    let webSockets = WebSocketRoutes(
        session: WebSocketSession(
            routes: routes, live: live, hub: hub, tokens: tokens, commandLimiter: commandLimiter,
            queueLimit: configuration.liveQueueLimit, frameRate: configuration.webSocketFrameRate,
            maxFrameBytes: configuration.maxFrameBytes, maxTopics: configuration.maxTopics, sessions: webSocketSessions
        ),
        auth: auth,
        slots: streamSlots,
        readYourWrites: readYourWrites
    )
    webSockets.add(to: authenticated)

    let services: [any Service] = [
        commandsClient, readersClient, listener, ringer,
        DoorbellPoller(doorbell: doorbell, interval: configuration.pollInterval),
        ReadModelProjector(client: readerClient, doorbell: doorbell, progress: progress, logger: logger),
        OrderNotificationReactor(client: readerClient, doorbell: doorbell, ringer: ringer, logger: logger),
        EventFeed(store: readerStore, hub: hub, doorbell: doorbell, logger: logger),
        typing,
        presence,
        ExpiredRepliesPurger(client: client, logger: logger),
        FrontierMonitor(store: store, logger: logger),
    ]
    return Application(
        router: router,
        server: WebSocketUpgradeChannel.builder(
            http1: .init(idleTimeout: TimeAmount(configuration.httpIdleTimeout)),
            webSocket: WebSocketRoutes.serverConfiguration(
                pingInterval: configuration.webSocketPingInterval, maxFrameBytes: configuration.maxFrameBytes
            ),
            headerTimeout: configuration.httpHeaderTimeout,
            decide: webSockets.decide
        ),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "tideline"),
        services: services,
        onServerRunning: { channel in
            logger.info("tideline is serving", metadata: [
                "address": "\(channel.localAddress?.description ?? "?")",
                "development_mode": "\(configuration.developmentMode)",
            ])
        },
        logger: logger
    )
}

/// Applies pending migrations over a connection of its own.
public func migrate(database: DatabaseURL, directory: URL, logger: Logger) async throws {
    let migrator = try Migrator(directory: directory, logger: logger)
    let connection = try await PostgresConnection.connect(
        configuration: try database.connectionConfiguration(), id: 1, logger: logger
    )
    do {
        let applied = try await migrator.migrate(on: connection)
        logger.info("migrations up to date", metadata: ["applied": "\(applied)"])
    } catch {
        try? await connection.close()
        throw error
    }
    try await connection.close()
}

/// Makes a store restored from `pg_dump` into another cluster readable again (see
/// ``RestoredHistory``) and returns how many events it changed.
public func makeRestoredHistoryReadable(database: DatabaseURL, logger: Logger) async throws -> Int {
    let connection = try await PostgresConnection.connect(
        configuration: try database.connectionConfiguration(), id: 1, logger: logger
    )
    do {
        let rewritten = try await RestoredHistory.makeReadable(on: connection, logger: logger)
        try await connection.close()
        return rewritten
    } catch {
        try? await connection.close()
        throw error
    }
}
