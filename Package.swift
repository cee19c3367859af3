// swift-tools-version:6.2
// Hummingbird 2.28, jwt-kit 5.8 and swift-prometheus 2.4 need tools 6.2.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tideline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tideline", targets: ["tideline"]),
        .executable(name: "tideline-chat", targets: ["tideline-chat"]),
        .executable(name: "tideline-bench", targets: ["tideline-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Live delivery writes WebSocket frames straight to the channel (NIOWebSocket, NIOCore).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // DATABASE_URL's sslmode and sslrootcert become a TLS configuration (already PostgresNIO's).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The WebSocket upgrade channel (HTTPTypes <-> HTTP/1 codec; already Hummingbird's).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Tests and tideline-bench (already a dependency of HummingbirdTesting): an HTTP client.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // tideline-bench: latency percentiles (HdrHistogram).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Pure domain: commands, events, validation, decide/evolve. Foundation only, no I/O.
        .target(name: "Domain", swiftSettings: swiftSettings),
        // The PostgreSQL event store: append with expected version, gap-free reads, doorbell, migrations.
        .target(
            name: "EventStore",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs a command against an aggregate: lock the stream, decide on its snapshot, append, commit.
        .target(
            name: "Commands",
            dependencies: [
                "Domain", "EventStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Projectors, their checkpoints, the order -> notification reaction, read-table queries.
        .target(
            name: "Projections",
            dependencies: [
                "Domain", "EventStore", "Commands",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Live delivery: the per-process event feed, the fan-out hub, bounded per-connection queues.
        .target(
            name: "Realtime",
            dependencies: [
                "Domain", "EventStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP API: application builder, routes, auth, limits, error mapping.
        .target(
            name: "API",
            dependencies: [
                "Domain", "EventStore", "Commands", "Projections", "Realtime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The browser page keeps its folder (`.copy`); the API documents are plain resources.
            resources: [.process("Resources/openapi.yaml"), .process("Resources/asyncapi.yaml"), .copy("Resources/web")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tideline",
            dependencies: [
                "API", "Commands", "EventStore", "Domain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The terminal chat client's logic: reconnect policy, outbox, timeline, typing line, line
        // editor, rendering. Foundation only, no I/O, so it is unit-tested without a network.
        .target(name: "ChatCore", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tideline-chat",
            dependencies: [
                "ChatCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
                // The WebSocket handshake's headers (subprotocol, Authorization) are HTTPFields.
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // Load generators for docs/benchmarks.md; always run next to a baseline.
        .executableTarget(
            name: "tideline-bench",
            dependencies: [
                "EventStore", "Realtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                // Subscribers handle frames in channel handlers (Support/LoopWebSocket.swift).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                // The baseline hub: a bare WebSocket broadcast server with no database.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: swiftSettings),
        .testTarget(name: "ChatCoreTests", dependencies: ["ChatCore"], swiftSettings: swiftSettings),
        // The command executor's in-process parts (stream queues, snapshot copies), without a database.
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "Domain", "EventStore"], swiftSettings: swiftSettings),
        // Live delivery's rules (routing, per-connection state, subscriptions), in memory.
        .testTarget(
            name: "RealtimeTests",
            dependencies: ["Realtime", "EventStore", "Domain", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The WebSocket transport's handlers, driven through NIO's testing channel (no socket).
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Realtime", "EventStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "API", "EventStore", "Commands", "Projections", "Realtime", "Domain",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
