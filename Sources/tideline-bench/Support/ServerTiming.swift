import Foundation
import Synchronization

/// The stages a server reports in its `Server-Timing` response header, e.g.
/// `auth;dur=0.031, decide;dur=0.012, db;dur=0.402, total;dur=0.530` (milliseconds).
enum ServerTiming {
    /// Each metric's name and duration in milliseconds; metrics without a `dur` are left out.
    static func parse(_ header: String) -> [(name: String, milliseconds: Double)] {
        header.split(separator: ",").compactMap { metric in
            let parts = metric.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty else { return nil }
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("dur=") {
                if let value = Double(parameter.dropFirst(4)) { return (name, value) }
            }
            return nil
        }
    }
}

/// Durations per stage from many `Server-Timing` headers; medians at the end. Kept as plain
/// arrays: sub-millisecond values need no histogram, and one client's run is a few thousand.
final class StageRecorder: Sendable {
    private let samples = Mutex<[String: [Double]]>([:])

    func record(header: String?) {
        guard let header else { return }
        let metrics = ServerTiming.parse(header)
        samples.withLock { samples in
            for (name, milliseconds) in metrics { samples[name, default: []].append(milliseconds) }
        }
    }

    /// The median of every stage seen, by name.
    var medians: [(name: String, milliseconds: Double, count: Int)] {
        samples.withLock { $0 }.sorted { $0.key < $1.key }.map { name, values in
            let sorted = values.sorted()
            let middle = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            return (name, median, sorted.count)
        }
    }
}
