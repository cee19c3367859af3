/// Posts at a steady rate in an open loop: each post starts on its tick, whatever the previous
/// ones are doing, so a slow server shows up as latency rather than as fewer posts.
struct SteadyPoster {
    let rate: Int
    let count: Int
    let clock: ContinuousClock
    /// The zero of the send times written into messages.
    let origin: ContinuousClock.Instant

    /// - Parameter post: sends post `number` stamped with `sentMicroseconds`; returns whether it
    ///   was accepted. Returns the number refused or failed.
    func run(_ post: @escaping @Sendable (_ number: Int, _ sentMicroseconds: Int64) async -> Bool) async throws -> Int {
        let interval = Duration.nanoseconds(1_000_000_000 / rate)
        let origin = self.origin, clock = self.clock
        let failed = Counter()
        // Discarding: tens of thousands of finished posts are not kept around as results.
        try await withThrowingDiscardingTaskGroup { posts in
            var tick = clock.now
            for number in 0..<count {
                try await clock.sleep(until: tick)
                tick += interval
                posts.addTask {
                    if !(await post(number, (clock.now - origin).microseconds)) { failed.add() }
                }
            }
        }
        return failed.current
    }

    /// Posts one at a time, each on its tick or as soon as the previous one is answered,
    /// whichever is later: an open loop queued on one HTTP/1.1 connection without pipelining, so
    /// a slow server shows up as fewer posts by the deadline (each is stamped when it is sent,
    /// not on its tick). Stops after `count` posts or at `deadline`.
    /// - Returns: the posts sent and how many of them were refused or failed.
    func runOneAtATime(
        until deadline: ContinuousClock.Instant,
        _ post: (_ number: Int, _ sentMicroseconds: Int64) async -> Bool
    ) async throws -> (sent: Int, failed: Int) {
        let interval = Duration.nanoseconds(1_000_000_000 / rate)
        var tick = clock.now
        var (sent, failed) = (0, 0)
        while sent < count, clock.now < deadline {
            try await clock.sleep(until: tick)
            tick += interval
            if !(await post(sent, (clock.now - origin).microseconds)) { failed += 1 }
            sent += 1
        }
        return (sent, failed)
    }
}
