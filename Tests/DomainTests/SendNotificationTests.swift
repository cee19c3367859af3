import Domain
import Testing

@Suite struct SendNotificationTests {
    @Test func validBody() throws {
        let c = try SendNotification(body: body(#"{"user_id":"alice","kind":"announcement","content":"  Hello \n"}"#))
        #expect(c.userId == "alice")
        #expect(c.kind == "announcement")
        #expect(c.content == "Hello")
    }

    @Test func everyFieldIsRequired() {
        #expect(failingFields { () throws(ValidationFailure) in try SendNotification(body: [:]) } == ["user_id", "kind", "content"])
    }

    @Test func identifiersAndContentRules() {
        let errors = fieldErrors { () throws(ValidationFailure) in
            try SendNotification(body: ["user_id": ".alice", "kind": "order created", "content": " \n "])
        }
        #expect(errors?.map(\.field) == ["user_id", "kind", "content"])
    }

    @Test func contentLengthBoundaries() throws {
        let max = String(repeating: "🎉", count: 4000)
        #expect(try SendNotification(body: ["user_id": "a", "kind": "k", "content": .string(max)]).content == max)
        #expect(
            failingFields { () throws(ValidationFailure) in
                try SendNotification(body: ["user_id": "a", "kind": "k", "content": .string(max + "!")])
            } == ["content"])
    }
}
