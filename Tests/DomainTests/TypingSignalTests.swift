import Domain
import Testing

@Suite struct TypingSignalTests {
    @Test func startedAndStopped() throws {
        #expect(try TypingSignal(body: body(#"{"state":"started"}"#)).state == .started)
        #expect(try TypingSignal(body: body(#"{"state":"stopped","room":"general"}"#)).state == .stopped)
    }

    @Test func stateIsRequired() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try TypingSignal(body: [:]) } == [
                FieldError(field: "state", message: "is required")
            ])
    }

    @Test(arguments: [#""Started""#, #""typing""#, #""""#, "1", "true"])
    func stateMustBeKnown(_ json: String) {
        #expect(failingFields { () throws(ValidationFailure) in try TypingSignal(body: body(#"{"state":\#(json)}"#)) } == ["state"])
    }
}
