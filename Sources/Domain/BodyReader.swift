/// Reads the fields of a command body while collecting every error it finds.
///
/// Each accessor returns the field's value when it is usable and nil otherwise, recording why
/// in ``errors``; commands read all their fields and only then throw, so a client learns about
/// every bad field at once. Decisions shared by all commands:
/// - a field that is `null` is treated as absent (many clients serialise "not set" that way);
/// - unknown fields are ignored, so clients may send fields from newer contract versions;
/// - nested fields are named by JSON path with 0-based indices: `items[2].quantity`.
struct BodyReader {
    private let body: JSONObject
    private let path: String
    private(set) var errors: [FieldError] = []

    /// - Parameters:
    ///   - body: The JSON object to read.
    ///   - path: The JSON path of `body` inside the request, empty for the top level.
    init(_ body: JSONObject, path: String = "") {
        self.body = body
        self.path = path
    }

    /// The failure to throw once all fields are read.
    var failure: ValidationFailure { ValidationFailure(errors: errors) }

    /// The JSON path of a field of this object.
    func field(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Records an error at a full JSON path.
    mutating func fail(at field: String, _ message: String) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Records an error on a field of this object.
    mutating func fail(_ key: String, _ message: String) {
        fail(at: field(key), message)
    }

    /// Adopts the errors a reader of a nested object collected.
    mutating func merge(_ nested: BodyReader) {
        errors.append(contentsOf: nested.errors)
    }

    /// The raw value; nil when the field is absent or `null`.
    func value(_ key: String) -> JSONValue? {
        switch body[key] {
        case nil, .null?: nil
        case let value?: value
        }
    }

    /// A string field.
    mutating func string(_ key: String, required: Bool) -> String? {
        switch value(key) {
        case nil:
            if required { fail(key, Message.required) }
            return nil
        case .string(let s)? where s.unicodeScalars.contains("\u{0}"):
            // PostgreSQL stores no U+0000 in text or jsonb: refuse it here, as the client's mistake.
            fail(key, Message.nul)
            return nil
        case .string(let s)?:
            return s
        case _?:
            fail(key, Message.string)
            return nil
        }
    }

    /// A string field that must be an ``Identifier``.
    mutating func identifier(_ key: String, required: Bool) -> String? {
        guard let s = string(key, required: required) else { return nil }
        guard Identifier.isValid(s) else {
            fail(key, Message.identifier)
            return nil
        }
        return s
    }

    /// A required integer field within `range`.
    ///
    /// Only JSON numbers decoded as `.int` count: `1.5`, `"3"` and `true` are all rejected.
    /// Foundation's decoder reads `3.0` and `1e2` as the exact integers 3 and 100, so those
    /// pass: the number's value matters, not its spelling. We add no rule of our own for them.
    mutating func integer(_ key: String, in range: ClosedRange<Int64>) -> Int64? {
        switch value(key) {
        case nil:
            fail(key, Message.required)
            return nil
        case .int(let n)?:
            guard range.contains(n) else {
                fail(key, "must be between \(range.lowerBound) and \(range.upperBound)")
                return nil
            }
            return n
        case _?:
            fail(key, Message.integer)
            return nil
        }
    }

    /// A required array field.
    mutating func array(_ key: String) -> [JSONValue]? {
        switch value(key) {
        case nil:
            fail(key, Message.required)
            return nil
        case .array(let elements)?:
            return elements
        case _?:
            fail(key, Message.array)
            return nil
        }
    }

    /// A string field trimmed of surrounding white space, then 1...`maxLength` characters
    /// counted as grapheme clusters (`String.count`), as the contract specifies for text.
    mutating func trimmedText(_ key: String, required: Bool, maxLength: Int) -> String? {
        guard let raw = string(key, required: required) else { return nil }
        let text = raw.trimmingWhitespace()
        if text.isEmpty {
            fail(key, Message.blank)
            return nil
        }
        if text.count > maxLength {
            fail(key, "must be at most \(maxLength) characters")
            return nil
        }
        return text
    }
}

extension BodyReader {
    /// The messages of errors that several commands share. They follow the field name:
    /// "text must not be empty".
    enum Message {
        static let required = "is required"
        static let string = "must be a string"
        static let nul = "must not contain the NUL character (U+0000)"
        static let integer = "must be an integer"
        static let array = "must be an array"
        static let object = "must be an object"
        static let blank = "must not be empty or only white space"
        static let identifier =
            "must be 1-64 characters of letters, digits, '_', '.' or '-', starting with a letter or digit"
    }
}
