import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a prepared statement that returns no rows (a write, a lock).
    ///
    /// Not PostgresNIO's own overload for `Row == ()`, which returns the command tag: in 1.33.2
    /// it asks for the tag before the (empty) result is consumed and traps ("commandTag may only
    /// be called if all rows have been consumed"). Consuming the rows first is what it misses.
    public func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
    where Statement.Row == Void {
        for try await _ in try await execute(statement, logger: logger) {}
    }
}
