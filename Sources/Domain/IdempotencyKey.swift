/// The `Idempotency-Key` header every POST accepts (contract §4).
public enum IdempotencyKey {
    /// Whether `s` is a usable key: 1–128 printable ASCII characters (0x20–0x7E).
    ///
    /// An invalid key is a 400 `malformed_request`, not a validation error, because it is a
    /// header rather than a body field.
    public static func isValid(_ s: String) -> Bool {
        PrintableASCII.isValid(s, maxLength: 128)
    }
}
