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

/// Another process's CPU time (user + system, from `/proc/<pid>/stat`) over a wall-clock
/// window, as a percentage of one core: the server's cost of a measurement.
struct ProcessCPU {
    let pid: Int32
    private let startCPU: Double?
    private let startWall: ContinuousClock.Instant

    init(pid: Int32) {
        self.pid = pid
        startCPU = Self.processSeconds(pid)
        startWall = .now
    }

    /// NaN when the process cannot be read (gone, or not on Linux).
    var percentSinceStart: Double {
        let wall = (ContinuousClock.now - startWall).seconds
        guard let startCPU, let now = Self.processSeconds(pid), wall > 0 else { return .nan }
        return (now - startCPU) / wall * 100
    }

    private static func processSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ", options: .backwards)
        else { return nil }
        // After "pid (name) ": state is field 3, utime field 14, stime field 15.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
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
