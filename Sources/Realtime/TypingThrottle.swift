/// Which typing signals a process relays, as a value (the relay does the sending).
///
/// `started` goes out at most once per `throttle` per user and room; a `stopped` goes out only
/// after a relayed `started`, which it then forgets. A user who starts typing and disconnects
/// never sends the `stopped`: receivers expire the `started` after `expiry`, so past that the
/// memory of it says nothing and is pruned. The map is bounded by the users who typed in the
/// last `expiry`, not by every user since the process started.
struct TypingThrottle<Instant: InstantProtocol> where Instant.Duration == Duration {
    struct Key: Hashable { var room: String; var user: String }

    let throttle: Duration
    let expiry: Duration
    /// When each (room, user) last had a `started` relayed.
    private(set) var relayed: [Key: Instant] = [:]

    init(throttle: Duration, expiry: Duration) {
        self.throttle = throttle
        self.expiry = expiry
    }

    /// Whether this signal goes out, recording it if so.
    mutating func shouldRelay(room: String, user: String, started: Bool, now: Instant) -> Bool {
        let key = Key(room: room, user: user)
        if started {
            if let last = relayed[key], last.duration(to: now) < throttle { return false }
            relayed[key] = now
            return true
        }
        return relayed.removeValue(forKey: key) != nil
    }

    /// Forgets the `started` signals every receiver has expired by now.
    mutating func prune(now: Instant) {
        relayed = relayed.filter { $0.value.duration(to: now) < expiry }
    }
}
