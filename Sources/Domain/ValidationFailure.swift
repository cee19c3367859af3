/// A request body that failed validation, with every field error found in it.
///
/// Validation collects all errors of a body rather than stopping at the first one, so a client
/// can fix its request in one round trip.
public struct ValidationFailure: Error, Sendable, Equatable {
    /// The field errors, in the order the fields were checked. Never empty when thrown.
    public var errors: [FieldError]

    /// Creates a failure from the collected field errors.
    public init(errors: [FieldError]) {
        self.errors = errors
    }
}
