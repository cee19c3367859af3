import Foundation
import NIOSSL
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
    /// TLS over TCP, as libpq reads `sslmode` (unix sockets never use TLS).
    public var sslMode: SSLMode
    /// `sslrootcert`: a PEM file of the certificate authorities that `verify-ca` and
    /// `verify-full` trust; without it, the system's trust store.
    public var sslRootCertificate: String?

    /// libpq's `sslmode` values, with libpq's meaning (absent means `prefer`, as in libpq).
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// Plain text.
        case disable
        /// TLS if the server offers it, unverified; plain text otherwise. (libpq tries plain
        /// text first for `allow`; PostgreSQL's protocol makes that a second connection, so
        /// `allow` is read as `prefer`.)
        case allow, prefer
        /// TLS or no connection; the certificate is not checked (encryption, not authentication).
        case require
        /// TLS with a certificate signed by a trusted authority, whatever host name it names.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate that names the host connected to.
        case verifyFull = "verify-full"
    }

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
        guard let mode = SSLMode(rawValue: query["sslmode"] ?? SSLMode.prefer.rawValue) else {
            let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw ParseError(description: "sslmode must be one of \(known), got \(query["sslmode"] ?? "")")
        }
        sslMode = mode
        sslRootCertificate = query["sslrootcert"].flatMap { $0.isEmpty || $0 == "system" ? nil : $0 }
        // Client certificates are not supported: better to refuse than to connect without one.
        for unsupported in ["sslcert", "sslkey", "sslcrl", "sslpassword"] where query[unsupported] != nil {
            throw ParseError(description: "\(unsupported) is not supported in the database URL (client certificates and CRLs are not implemented)")
        }
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
            let tls: PostgresClient.Configuration.TLS = switch tlsConfiguration() {
            case nil: .disable
            case let configuration? where sslMode.requiresTLS: .require(configuration)
            case let configuration?: .prefer(configuration)
            }
            configuration = .init(
                host: host, port: port, username: username, password: password, database: database, tls: tls
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
            let tls: PostgresConnection.Configuration.TLS = switch tlsConfiguration() {
            case nil: .disable
            case let configuration? where sslMode.requiresTLS: .require(try NIOSSLContext(configuration: configuration))
            case let configuration?: .prefer(try NIOSSLContext(configuration: configuration))
            }
            return .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        case .unixSocket(let path):
            return .init(unixSocketPath: path, username: username, password: password, database: database)
        }
    }

    /// What `sslmode` and `sslrootcert` ask of TLS, or nil for plain text.
    func tlsConfiguration() -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let sslRootCertificate {
            configuration.trustRoots = .file(sslRootCertificate)
        }
        return configuration
    }

    /// `string` fit for a log line or an error message: the password masked, and a URL that
    /// cannot be parsed (so where its password is cannot be known) not shown at all.
    static func redacted(_ string: String) -> String {
        guard var components = URLComponents(string: string) else {
            return "an unparseable URL (not shown: it may hold a password)"
        }
        if components.password != nil { components.password = "***" }
        return components.string ?? "an unparseable URL (not shown: it may hold a password)"
    }
}

extension DatabaseURL.SSLMode {
    /// Modes that refuse to fall back to plain text.
    var requiresTLS: Bool {
        switch self {
        case .disable, .allow, .prefer: false
        case .require, .verifyCA, .verifyFull: true
        }
    }
}
