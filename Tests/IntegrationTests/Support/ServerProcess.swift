import AsyncHTTPClient
import EventStore
import Foundation
import Testing

/// The real `tideline` executable in a child process, for what only a process can show:
/// being killed with SIGKILL mid-work, exiting on SIGTERM, the CLI's own commands.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let output = Pipe()

    /// `.build/debug/tideline`, built by `swift build --build-tests` alongside the tests.
    static var executable: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/tideline")
    }

    /// - Parameter environment: variables added to (or replacing) the test's own.
    convenience init(arguments: [String], database: DatabaseURL, environment: [String: String] = [:]) throws {
        try self.init(arguments: arguments, databaseURL: Self.urlString(database), environment: environment)
    }

    /// With `DATABASE_URL` exactly as given (query parameters such as `sslmode` included).
    init(arguments: [String], databaseURL: String, environment extra: [String: String] = [:]) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["TIDELINE_JWT_SECRET"] = TestServer.secret
        environment["TIDELINE_MIGRATIONS"] = TestDatabase.migrationsDirectory.path
        environment["LOG_LEVEL"] = "warning"
        environment.merge(extra) { _, given in given }
        process.environment = environment
        process.standardOutput = output
        process.standardError = output
        try process.run()
    }

    /// `tideline serve` on a random port.
    static func serve(database: DatabaseURL) throws -> ServerProcess {
        try ServerProcess(arguments: ["serve", "--port", "0"], database: database)
    }

    /// `tideline serve --dev` on a free port the test can reach.
    static func serve(database: DatabaseURL, port: Int) throws -> ServerProcess {
        try ServerProcess(arguments: ["serve", "--dev", "--port", String(port)], database: database)
    }

    /// Runs `body` against two `tideline serve --dev` processes on one fresh database, given the
    /// database and their ports. Both must exit 0 on SIGTERM; the database is dropped after.
    static func withTwoServers(_ body: (_ database: DatabaseURL, _ a: Int, _ b: Int) async throws -> Void) async throws {
        let database = try await TestDatabase.create()
        let portA = try freePort(), portB = try freePort()
        let a = try serve(database: database, port: portA)
        let b = try serve(database: database, port: portB)
        do {
            try await body(database, portA, portB)
        } catch {
            a.kill(SIGKILL)
            b.kill(SIGKILL)
            throw error
        }
        a.kill(SIGTERM)
        b.kill(SIGTERM)
        #expect(await a.waitForExit() == 0)
        #expect(await b.waitForExit() == 0)
        await TestDatabase.drop(database)
    }

    /// Runs `body` against `tideline serve --dev` (plus `arguments`) on a free port, once it is
    /// ready, on `database` or on a fresh database dropped afterwards. The server must exit 0
    /// on SIGTERM; it is killed if `body` throws. `body` may return the process to read its
    /// output after it has exited.
    static func withServer<T>(
        arguments: [String] = [], environment: [String: String] = [:], database given: DatabaseURL? = nil,
        _ body: (_ database: DatabaseURL, _ port: Int, _ server: ServerProcess) async throws -> T
    ) async throws -> T {
        let database: DatabaseURL
        if let given { database = given } else { database = try await TestDatabase.create() }
        let port = try freePort()
        let server = try ServerProcess(
            arguments: ["serve", "--dev", "--port", String(port)] + arguments, database: database, environment: environment
        )
        let result: T
        do {
            try await waitUntilReady(port: port)
            result = try await body(database, port, server)
        } catch {
            server.kill(SIGKILL)
            throw error
        }
        server.kill(SIGTERM)
        #expect(await server.waitForExit() == 0)
        if given == nil { await TestDatabase.drop(database) }
        return result
    }

    /// Waits until the server on `port` answers `GET /ready` with 200: it has migrated, listens,
    /// and its LISTEN connection is up (typing signals sent before that are lost by design).
    static func waitUntilReady(port: Int) async throws {
        try await eventually(limit: .seconds(30), "the server on port \(port) to be ready") {
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/ready")
            guard let response = try? await testHTTPClient.execute(request, timeout: .seconds(2)) else { return false }
            _ = try? await response.body.collect(upTo: 1 << 16)
            return response.status.code == 200
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        struct NoPort: Error {}
        guard bound else { throw NoPort() }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a CLI command to completion and returns its exit status and output.
    static func run(_ arguments: [String], database: DatabaseURL) async throws -> (status: Int32, output: String) {
        try await run(arguments, databaseURL: urlString(database))
    }

    /// Runs a CLI command with `DATABASE_URL` exactly as given.
    static func run(_ arguments: [String], databaseURL: String) async throws -> (status: Int32, output: String) {
        let child = try ServerProcess(arguments: arguments, databaseURL: databaseURL)
        let status = await child.waitForExit()
        return (status, child.readOutput())
    }

    func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }

    func waitForExit() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    func readOutput() -> String {
        String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
    }

    /// `url` as a `DATABASE_URL`, password included (the test cluster has one).
    static func urlString(_ url: DatabaseURL) -> String {
        let password = url.password.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) }
        let user = password.map { "\(url.username):\($0)" } ?? url.username
        return switch url.endpoint {
        case .tcp(let host, let port): "postgres://\(user)@\(host):\(port)/\(url.database)"
        case .unixSocket(let path): "postgres://\(user)@/\(url.database)?host=\((path as NSString).deletingLastPathComponent)"
        }
    }
}
