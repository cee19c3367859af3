import Histogram
import Synchronization

/// Latencies recorded in microseconds in an HdrHistogram, shared by every task that measures.
///
/// One lock around one histogram: a record is a few nanoseconds of work, and on the 2-core
/// machines we measure on, contention costs less than merging thousands of per-task histograms.
final class LatencyRecorder: Sendable {
    /// Anything above a minute is clamped: such a delivery has failed anyway.
    static let highestMicroseconds: UInt64 = 60_000_000

    private let histogram = Mutex(Histogram<UInt64>(highestTrackableValue: LatencyRecorder.highestMicroseconds, numberOfSignificantValueDigits: .three))

    func record(microseconds: Int64) {
        let value = UInt64(clamping: max(microseconds, 1))
        histogram.withLock { _ = $0.record(min(value, Self.highestMicroseconds)) }
    }

    var summary: LatencySummary { LatencySummary(histogram: histogram.withLock { $0 }) }
}

/// Percentiles in milliseconds, read from a finished recording.
struct LatencySummary {
    struct Percentile {
        let key: String
        let value: Double
        static let p50 = Percentile(key: "p50_ms", value: 50)
        static let p90 = Percentile(key: "p90_ms", value: 90)
        static let p99 = Percentile(key: "p99_ms", value: 99)
        static let p999 = Percentile(key: "p999_ms", value: 99.9)
    }

    let histogram: Histogram<UInt64>

    var count: Int { Int(histogram.totalCount) }

    func milliseconds(at percentile: Percentile) -> Double {
        count == 0 ? .nan : Double(histogram.valueAtPercentile(percentile.value)) / 1000
    }

    var maxMilliseconds: Double { count == 0 ? .nan : Double(histogram.max) / 1000 }
}
