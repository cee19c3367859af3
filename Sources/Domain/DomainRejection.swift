/// Why an aggregate refused a command.
///
/// The associated text is a detail that is safe to show to clients (it names only ids the
/// client itself supplied or is allowed to know); the API maps each case to its HTTP status
/// once, at the edge: 404, 403, 409 and 422.
public enum DomainRejection: Error, Sendable, Equatable {
    /// The addressed entity does not exist (or must look as if it did not).
    case notFound(String)
    /// The entity exists but the actor may not do this to it.
    case forbidden(String)
    /// The command contradicts the current state, e.g. creating something that exists.
    case conflict(String)
    /// The command's input is invalid.
    case validation([FieldError])
}

extension DomainRejection {
    /// Wraps a body's validation failure, for callers that handle both kinds of error as one.
    public init(_ failure: ValidationFailure) {
        self = .validation(failure.errors)
    }
}
