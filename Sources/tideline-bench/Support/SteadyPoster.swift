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
}
