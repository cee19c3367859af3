/// The identifiers of rooms, users, orders, notifications and SKUs.
///
/// Contract: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`. Checked on UTF-8 bytes rather than with a
/// regex engine: the rule is ASCII only, so any non-ASCII byte simply fails, and the check is
/// cheap enough to run on every path parameter.
public enum Identifier {
    /// The longest valid identifier, in characters.
    public static let maxLength = 64

    /// Whether `s` is a valid identifier.
    ///
    /// ```swift
    /// Identifier.isValid("general")  // true
    /// Identifier.isValid("_hidden")  // false: must start with a letter or digit
    /// ```
    public static func isValid(_ s: String) -> Bool {
        let bytes = s.utf8
        guard let first = bytes.first, bytes.count <= maxLength, isAlphanumeric(first) else {
            return false
        }
        return bytes.dropFirst().allSatisfy { byte in
            isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "-")
        }
    }

    /// Whether `byte` is an ASCII letter or digit (the class identifiers and request ids use).
    public static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}
