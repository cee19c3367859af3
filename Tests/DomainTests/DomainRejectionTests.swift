import Domain
import Testing

@Suite struct DomainRejectionTests {
    @Test func wrapsAValidationFailure() {
        let failure = ValidationFailure(errors: [FieldError(field: "text", message: "is required")])
        #expect(DomainRejection(failure) == .validation([FieldError(field: "text", message: "is required")]))
    }
}
