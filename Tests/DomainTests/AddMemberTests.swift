import Domain
import Testing

@Suite struct AddMemberTests {
    @Test func validUser() throws {
        #expect(try AddMember(body: ["user": "bob"]).user == "bob")
    }

    @Test func userIsRequiredAndAnIdentifier() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try AddMember(body: [:]) } == [
                FieldError(field: "user", message: "is required")
            ])
        for bad: JSONValue in ["", "_bob", "bob smith", .string(String(repeating: "b", count: 65)), .int(3), .null] {
            #expect(failingFields { () throws(ValidationFailure) in try AddMember(body: ["user": bad]) } == ["user"])
        }
    }
}
