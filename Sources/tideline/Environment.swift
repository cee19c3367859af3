import Foundation
import Logging

/// Environment variables behind every option (contract section 8).
enum Environment {
    static func string(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func int(_ name: String) -> Int? { string(name).flatMap(Int.init) }
    static func double(_ name: String) -> Double? { string(name).flatMap(Double.init) }
    static func bool(_ name: String) -> Bool { ["1", "true", "yes"].contains(string(name)?.lowercased() ?? "") }
}

func makeLogger(label: String, level: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
    return logger
}
