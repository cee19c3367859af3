import Domain
import Testing

@Suite struct PostMessageTests {
    private func post(_ text: String, clientMsgId: JSONValue? = nil) throws(ValidationFailure) -> PostMessage {
        var body: JSONObject = ["text": .string(text)]
        if let clientMsgId { body["client_msg_id"] = clientMsgId }
        return try PostMessage(body: body)
    }

    @Test func plainMessage() throws {
        let c = try post("hi")
        #expect(c.text == "hi")
        #expect(c.clientMsgId == nil)
    }

    @Test func trimsSurroundingWhiteSpaceButKeepsInnerNewlines() throws {
        #expect(try post("  \n\thello\nworld \r\n ").text == "hello\nworld")
        #expect(try post("\u{00A0}a\u{2003}").text == "a")  // no-break and em spaces
    }

    @Test func textIsRequiredAndAString() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try PostMessage(body: [:]) } == [
                FieldError(field: "text", message: "is required")
            ])
        #expect(
            fieldErrors { () throws(ValidationFailure) in try PostMessage(body: ["text": .int(5)]) } == [
                FieldError(field: "text", message: "must be a string")
            ])
    }

    /// PostgreSQL cannot store U+0000; it must be the client's 422, never the database's error.
    @Test func aNULCharacterIsRejectedInAnyStringField() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try post("a\u{0}b") } == [
                FieldError(field: "text", message: "must not contain the NUL character (U+0000)")
            ])
        #expect(failingFields { () throws(ValidationFailure) in try post("hi", clientMsgId: .string("c\u{0}")) } == ["client_msg_id"])
        #expect(failingFields { () throws(ValidationFailure) in try CreateRoom(body: ["room_id": "r", "name": .string("x\u{0}y")]) } == ["name"])
        #expect(failingFields { () throws(ValidationFailure) in
            try SendNotification(body: ["user_id": "bob", "kind": "k", "content": .string("\u{0}")])
        } == ["content"])
    }

    @Test(arguments: ["", " ", "\n", " \n\t\r\n "])
    func emptyOrWhiteSpaceOnlyTextIsRejected(_ text: String) {
        #expect(failingFields { () throws(ValidationFailure) in try post(text) } == ["text"])
    }

    @Test func lengthBoundaries() throws {
        #expect(try post("x").text.count == 1)
        #expect(try post(String(repeating: "x", count: 4000)).text.count == 4000)
        #expect(
            fieldErrors { () throws(ValidationFailure) in try post(String(repeating: "x", count: 4001)) } == [
                FieldError(field: "text", message: "must be at most 4000 characters")
            ])
        // Trimming happens before counting.
        #expect(try post("  " + String(repeating: "x", count: 4000) + "\n").text.count == 4000)
    }

    @Test func graphemeClustersCountAsOne() throws {
        let family = "👨‍👩‍👧‍👦"  // 7 scalars, 25 UTF-8 bytes, one character
        let flag = "🇳🇱"
        let accented = "e\u{301}"
        #expect(try post(family).text.count == 1)
        #expect(try post(String(repeating: family, count: 4000)).text.count == 4000)
        #expect(failingFields { () throws(ValidationFailure) in try post(String(repeating: family, count: 4001)) } == ["text"])
        #expect(try post(String(repeating: flag, count: 4000)).text == String(repeating: flag, count: 4000))
        #expect(try post(String(repeating: accented, count: 4000)).text.count == 4000)
    }

    @Test func clientMsgIdBoundaries() throws {
        #expect(try post("hi", clientMsgId: "c").clientMsgId == "c")
        #expect(try post("hi", clientMsgId: "c-1 with spaces ~").clientMsgId == "c-1 with spaces ~")
        let max = String(repeating: "c", count: 128)
        #expect(try post("hi", clientMsgId: .string(max)).clientMsgId == max)
        #expect(try post("hi", clientMsgId: .null).clientMsgId == nil)
        for bad: JSONValue in ["", .string(String(repeating: "c", count: 129)), "tab\t", "é", "line\n", .int(1)] {
            #expect(failingFields { () throws(ValidationFailure) in try post("hi", clientMsgId: bad) } == ["client_msg_id"])
        }
    }

    @Test func collectsBothErrors() {
        let errors = fieldErrors { () throws(ValidationFailure) in
            try PostMessage(body: ["text": "   ", "client_msg_id": ""])
        }
        #expect(errors?.map(\.field) == ["text", "client_msg_id"])
    }
}
