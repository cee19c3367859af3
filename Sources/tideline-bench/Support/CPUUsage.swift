import Foundation

/// This process's CPU time (user + system) over a wall-clock window, as a percentage of one
/// core: the load generator shares the machine with the server, so its own cost is reported.
struct CPUUsage {
    private let startCPU: Double
    private let startWall: ContinuousClock.Instant

    init() {
        startCPU = Self.processSeconds()
        startWall = .now
    }

    /// May exceed 100 on a machine with more than one core.
    var percentSinceStart: Double {
        let wall = (ContinuousClock.now - startWall).seconds
        return wall > 0 ? (Self.processSeconds() - startCPU) / wall * 100 : .nan
    }

    private static func processSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var milliseconds: Double { seconds * 1000 }

    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
