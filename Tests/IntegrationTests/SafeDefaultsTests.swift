import API
import EventStore
import Foundation
import PostgresNIO
import Testing

/// Defaults that protect an operator who did not read the manual: the development token route
/// stays on loopback, TLS modes mean what libpq means, secrets stay out of messages, and tokens
/// cannot be minted for longer than the server can reason about.
@Suite struct SafeDefaultsTests {
    static func configuration(host: String, dev: Bool = true, allowRemote: Bool = false) throws -> AppConfiguration {
        var configuration = AppConfiguration(
            database: try DatabaseURL("postgres://postgres@127.0.0.1:5432/db"),
            jwtSecret: TestServer.secret,
            migrationsDirectory: TestDatabase.migrationsDirectory
        )
        configuration.host = host
        configuration.developmentMode = dev
        configuration.allowRemoteDevelopment = allowRemote
        return configuration
    }

    @Test(arguments: ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "example.com", "127.0.0.1.example.com"])
    func developmentModeRefusesAnAddressOtherThanLoopback(host: String) throws {
        #expect(throws: AppConfiguration.InvalidConfiguration.self) { try Self.configuration(host: host).validate() }
        // Told twice, it serves; without --dev there is no token route to protect.
        try Self.configuration(host: host, allowRemote: true).validate()
        try Self.configuration(host: host, dev: false).validate()
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
    func developmentModeServesOnLoopback(host: String) throws {
        try Self.configuration(host: host).validate()
    }

    @Test func serveDevOnEveryInterfaceExitsSayingHowToAllowIt() async throws {
        let database = try TestDatabase.serverURL()
        let result = try await withHangGuard {
            try await ServerProcess.run(["serve", "--dev", "--host", "0.0.0.0", "--port", "0"], database: database)
        }
        #expect(result.status != 0)
        #expect(result.output.contains("--allow-remote-dev"), "\(result.output)")
    }

    @Test func theTokenCommandRefusesALifetimeBeyondAYear() async throws {
        let database = try TestDatabase.serverURL()
        let refused = try await ServerProcess.run(["token", "alice", "--ttl", "1000000000000000"], database: database)
        #expect(refused.status != 0)
        #expect(refused.output.contains("--ttl"), "\(refused.output)")
        let accepted = try await ServerProcess.run(["token", "alice", "--ttl", "31536000"], database: database)
        #expect(accepted.status == 0, "\(accepted.output)")
    }

    // MARK: DATABASE_URL

    @Test func sslModesAreReadAsLibpqReadsThem() throws {
        #expect(try DatabaseURL("postgres://u@db.example/app").sslMode == .prefer)
        #expect(try DatabaseURL("postgres://u@db.example/app?sslmode=disable").sslMode == .disable)
        #expect(try DatabaseURL("postgres://u@db.example/app?sslmode=require").sslMode == .require)
        #expect(try DatabaseURL("postgres://u@db.example/app?sslmode=verify-ca").sslMode == .verifyCA)
        let full = try DatabaseURL("postgres://u@db.example/app?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(full.sslMode == .verifyFull)
        #expect(full.sslRootCertificate == "/etc/ca.pem")
    }

    @Test(arguments: ["sslmode=verify_full", "sslmode=on", "sslcert=/c.pem", "sslkey=/k.pem"])
    func anSSLSettingThatCannotBeHonouredIsRefused(query: String) {
        #expect(throws: DatabaseURL.ParseError.self) { try DatabaseURL("postgres://u@db.example/app?\(query)") }
    }

    /// The test cluster does not offer TLS: a mode that demands it must fail to connect rather
    /// than carry on in plain text (verify-full and verify-ca once did), and `prefer` connects.
    @Test(arguments: ["require", "verify-ca", "verify-full"])
    func aModeThatDemandsTLSNeverFallsBackToPlainText(mode: String) async throws {
        let plain = ServerProcess.urlString(try TestDatabase.serverURL())
        let url = try DatabaseURL("\(plain)?sslmode=\(mode)")
        await #expect(throws: (any Error).self) {
            try await TestDatabase.withConnection(url) { _ in }
        }
        let preferred = try DatabaseURL("\(plain)?sslmode=prefer")
        try await TestDatabase.withConnection(preferred) { _ in }
    }

    @Test func aDatabaseURLThatCannotBeParsedIsNotEchoedWithItsPassword() {
        do {
            _ = try DatabaseURL("postgres://tideline:hunter2@db.example:notaport/app")
            Issue.record("the URL was accepted")
        } catch {
            #expect(!error.description.contains("hunter2"), "\(error.description)")
        }
    }

    @Test func aDatabaseURLNeverShowsItsPassword() throws {
        let url = try DatabaseURL("postgres://tideline:hunter2@db.example:5432/app")
        #expect(!url.description.contains("hunter2"))
        #expect(!String(reflecting: url).contains("hunter2"))
    }

    // MARK: Logs

    /// PostgreSQL quotes a failed statement's values in its error (here the message of 22P02 and
    /// a unique violation's detail): what the server logs of such an error leaves them out.
    @Test func aLoggedDatabaseErrorCarriesNoValueOfTheStatement() async throws {
        let url = try await TestDatabase.create()
        try await TestDatabase.withConnection(url) { connection in
            let secret = "top-secret-words"
            do {
                _ = try await connection.query("SELECT \(secret)::text::int", logger: TestDatabase.logger).collect()
                Issue.record("the cast succeeded")
            } catch {
                #expect(String(reflecting: error).contains(secret), "PostgreSQL no longer quotes the value: the test shows nothing")
                let logged = LoggableError(error).description
                #expect(!logged.contains(secret), "\(logged)")
                #expect(logged.contains("22P02"), "\(logged)")
            }
            _ = try await connection.query("CREATE TEMPORARY TABLE t (k text CONSTRAINT t_k_key UNIQUE)", logger: TestDatabase.logger).collect()
            _ = try await connection.query("INSERT INTO t VALUES (\(secret))", logger: TestDatabase.logger).collect()
            do {
                _ = try await connection.query("INSERT INTO t VALUES (\(secret))", logger: TestDatabase.logger).collect()
                Issue.record("the duplicate was accepted")
            } catch {
                let logged = LoggableError(error).description
                #expect(!logged.contains(secret), "\(logged)")
                #expect(logged.contains("t_k_key"), "\(logged)")
            }
        }
        await TestDatabase.drop(url)
    }
}
