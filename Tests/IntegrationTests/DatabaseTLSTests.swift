import EventStore
import Foundation
import PostgresNIO
import Testing

/// `sslmode` in `DATABASE_URL` against a cluster with TLS on and a certificate, signed by a CA
/// of its own, that names `localhost` only: `verify-ca` and `verify-full` check what they say
/// and never fall back to plain text.
@Suite(.serialized) struct DatabaseTLSTests {
    @Test func verifyModesCheckTheCertificateAndItsNameOthersDoNot() async throws {
        try await PrivateCluster.with(tls: true) { cluster in
            let ca = try #require(cluster.certificateAuthority)
            let base = ServerProcess.urlString(cluster.url)
            let onLocalhost = base.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:")

            // Trusted CA, the name the certificate carries: TLS, verified.
            #expect(try await Self.usesTLS("\(onLocalhost)?sslmode=verify-full&sslrootcert=\(ca)") == true)
            // verify-ca checks the signature only, so another name for the host passes...
            #expect(try await Self.usesTLS("\(base)?sslmode=verify-ca&sslrootcert=\(ca)") == true)
            // ...and verify-full refuses it (the certificate names localhost, not 127.0.0.1).
            await #expect(throws: (any Error).self) { try await Self.usesTLS("\(base)?sslmode=verify-full&sslrootcert=\(ca)") }
            // Without the cluster's CA (the system's authorities do not know it) both refuse.
            await #expect(throws: (any Error).self) { try await Self.usesTLS("\(onLocalhost)?sslmode=verify-full") }
            await #expect(throws: (any Error).self) { try await Self.usesTLS("\(base)?sslmode=verify-ca") }
            // require encrypts without checking; prefer (the default) uses TLS when offered.
            #expect(try await Self.usesTLS("\(base)?sslmode=require") == true)
            #expect(try await Self.usesTLS(base) == true)
            #expect(try await Self.usesTLS("\(base)?sslmode=disable") == false)

            // The server itself: `tideline migrate` over a verified connection, and refused
            // when the name does not match.
            let migrated = try await ServerProcess.run(["migrate"], databaseURL: "\(onLocalhost)?sslmode=verify-full&sslrootcert=\(ca)")
            #expect(migrated.status == 0, "\(migrated.output)")
            let refused = try await ServerProcess.run(["migrate"], databaseURL: "\(base)?sslmode=verify-full&sslrootcert=\(ca)")
            #expect(refused.status != 0, "\(refused.output)")
        }
    }

    /// Connects with `url` and asks the server whether the session is encrypted.
    private static func usesTLS(_ url: String) async throws -> Bool {
        try await TestDatabase.withConnection(try DatabaseURL(url)) { connection in
            for try await ssl in try await connection.query(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: TestDatabase.logger
            ).decode(Bool.self) { return ssl }
            return false
        }
    }
}
