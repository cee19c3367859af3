import Logging
import Metrics
import Synchronization

/// Where readers of the log report an event they cannot decode: counted in
/// `tideline_undecodable_events_total{reader, reason}` every time, logged the first time a
/// reader meets each type for each reason (a million unreadable events on a catch-up would
/// otherwise be a million log lines; the counter keeps the full count).
public final class UndecodableEventReport: Sendable {
    /// The reader's name in logs and in the metric's `reader` label.
    let reader: String
    let logger: Logger
    private let logged = Mutex<Set<String>>([])

    public init(reader: String, logger: Logger) {
        self.reader = reader
        self.logger = logger
    }

    /// - Parameters:
    ///   - reason: `unknown_type` or `malformed_data`.
    ///   - detail: where decoding failed, never a value from the data.
    ///   - outcome: what the reader did with it, for the log line.
    public func report(_ event: RecordedEvent, reason: String, detail: String, outcome: String) {
        Counter(label: "tideline_undecodable_events_total", dimensions: [("reader", reader), ("reason", reason)]).increment()
        let first = logged.withLock { $0.insert("\(reason) \(event.type)").inserted }
        let metadata: Logger.Metadata = [
            "event_id": "\(event.position)", "type": "\(event.type)", "stream": "\(event.streamName)",
            "reason": "\(reason)", "detail": "\(detail)",
        ]
        let message: Logger.Message = "\(reader) cannot decode an event: \(outcome) (later ones of this type are counted, logged at debug)"
        if !first {
            logger.debug(message, metadata: metadata)
        } else if reason == "unknown_type" {
            logger.warning(message, metadata: metadata)
        } else {
            logger.error(message, metadata: metadata)
        }
    }
}
