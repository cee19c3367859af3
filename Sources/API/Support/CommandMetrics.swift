import Commands
import Domain
import Metrics

/// Prometheus families of the command path, recorded once per command by ``CommandRunner``:
/// - `tideline_commands_total{command, outcome}`: `appended`, `unchanged` (already done),
///   `replayed` (a stored idempotent reply), `rejected` (the domain said no), `conflict`
///   (idempotency key reused or in flight), `failed` (anything else: database, timeout);
/// - `tideline_command_duration_seconds{command}`: from decision to commit, replies included;
/// - `tideline_events_appended_total`.
enum CommandMetrics {
    enum Outcome: String {
        case appended, unchanged, replayed, rejected, conflict, failed
    }

    static func record(_ command: String, _ outcome: Outcome, seconds: Double, eventsAppended: Int = 0) {
        Counter(label: "tideline_commands_total", dimensions: [("command", command), ("outcome", outcome.rawValue)]).increment()
        Metrics.Timer(label: "tideline_command_duration_seconds", dimensions: [("command", command)], preferredDisplayUnit: .seconds)
            .recordSeconds(seconds)
        if eventsAppended > 0 {
            Counter(label: "tideline_events_appended_total").increment(by: eventsAppended)
        }
    }

    /// How an error thrown while running a command counts.
    static func outcome(of error: any Error) -> Outcome {
        switch error {
        case is DomainRejection: .rejected
        case CommandError.idempotencyKeyReused: .conflict
        default: .failed
        }
    }
}
