import Foundation
import PostgresNIO

/// Where the database is, parsed from a `DATABASE_URL`:
/// `postgres://user:pass@host:port/db`, or a unix socket via `postgres://user@/db?host=/socket/dir`
/// (the socket file `.s.PGSQL.<port>` inside that directory, port 5432 unless given).
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    /// `sslmode=require` asks for TLS; anything else connects in plain text (loopback and unix sockets).
    public var requireTLS: Bool

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ string: String) throws(ParseError) {
        guard let components = URLComponents(string: string),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql"
        else {
            throw ParseError(description: "database URL must look like postgres://user:pass@host:port/db, got \(Self.redacted(string))")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { _, last in last }
        )
        let port = components.port ?? Int(query["port"] ?? "") ?? 5432
        if let socketDirectory = query["host"], socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)")
        } else {
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            endpoint = .tcp(host: host, port: port)
        }
        username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? username : path
        requireTLS = query["sslmode"] == "require"
    }

    /// The same server with another database: tests create a database per suite.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): "postgres://\(username)@\(host):\(port)/\(database)"
        case .unixSocket(let path): "postgres://\(username)@/\(database)?socket=\(path)"
        }
    }

    /// Configuration for the connection pool.
    /// - Parameter applicationName: shown as `application_name` in `pg_stat_activity`, so each
    ///   pool's connections can be told apart (and counted) on the server.
    public func clientConfiguration(maximumConnections: Int = 20, applicationName: String? = nil) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database,
                tls: requireTLS ? .require(.makeClientConfiguration()) : .disable
            )
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.maximumConnections = maximumConnections
        if let applicationName {
            configuration.options.additionalStartupParameters.append(("application_name", applicationName))
        }
        return configuration
    }

    /// Configuration for a single dedicated connection (the LISTEN connection, migrations).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .tcp(let host, let port):
            return .init(
                host: host, port: port, username: username, password: password, database: database,
                tls: requireTLS ? .require(try .init(configuration: .makeClientConfiguration())) : .disable
            )
        case .unixSocket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    private static func redacted(_ string: String) -> String {
        // Never echo a password into logs or error messages.
        guard var components = URLComponents(string: string), components.password != nil else { return string }
        components.password = "***"
        return components.string ?? "(unparseable)"
    }
}
