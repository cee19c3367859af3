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
    bootstrapLogging()
    var logger = Logger(label: label)
    logger.logLevel = Logger.Level(rawValue: level.lowercased()) ?? .info
    return logger
}

/// `LOG_FORMAT=json`: every logger of the process (the server's, Hummingbird's per request,
/// PostgresNIO's) writes JSON lines; otherwise readable text. Done once per process, before
/// the first logger exists.
private func bootstrapLogging() {
    _ = loggingBootstrapped
}

private let loggingBootstrapped: Void = {
    switch Environment.string("LOG_FORMAT")?.lowercased() {
    case "json": LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
    default: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    }
}()
