/// The "1–N printable ASCII characters" rule shared by idempotency keys and client message ids.
enum PrintableASCII {
    /// Whether `s` has 1...`maxLength` bytes, all in 0x20–0x7E.
    ///
    /// Counting UTF-8 bytes is counting characters here: any byte outside the range, including
    /// every byte of a non-ASCII character, fails the check anyway.
    static func isValid(_ s: String, maxLength: Int) -> Bool {
        let bytes = s.utf8
        return !bytes.isEmpty && bytes.count <= maxLength && bytes.allSatisfy { (0x20...0x7E).contains($0) }
    }
}
