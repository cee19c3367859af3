import Foundation
import Realtime

/// The one JSON object a subcommand prints as the last line of stdout: `scripts/bench` parses
/// that line, so everything else (progress, warnings) goes to stderr.
struct Report {
    enum Value {
        case int(Int)
        case double(Double)
        case string(String)
    }

    private var fields: [(String, Value)] = []

    init(scenario: String) { fields.append(("scenario", .string(scenario))) }

    subscript(key: String) -> Value? {
        get { fields.first { $0.0 == key }?.1 }
        set {
            fields.removeAll { $0.0 == key }
            if let newValue { fields.append((key, newValue)) }
        }
    }

    mutating func add(_ latencies: LatencySummary, percentiles: [LatencySummary.Percentile]) {
        for percentile in percentiles { self[percentile.key] = .double(latencies.milliseconds(at: percentile)) }
        self["max_ms"] = .double(latencies.maxMilliseconds)
    }

    /// Keys in insertion order; a NaN (nothing measured) is `null`, never an unparsable `nan`.
    var json: String {
        let body = fields.map { key, value in
            let text: String
            switch value {
            case .int(let number): text = String(number)
            case .double(let number): text = number.isFinite ? String(format: "%.3f", number) : "null"
            case .string(let string): text = Self.quoted(string)
            }
            return "\(Self.quoted(key)):\(text)"
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    func print() {
        Swift.print(json)
        fflush(nil)
    }

    private static func quoted(_ string: String) -> String { jsonString(string) }
}

/// Progress for the person watching: stderr, so stdout keeps only the report.
func progress(_ message: String) {
    FileHandle.standardError.write(Data("tideline-bench: \(message)\n".utf8))
}
