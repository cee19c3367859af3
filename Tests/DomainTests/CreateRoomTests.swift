import Domain
import Testing

@Suite struct CreateRoomTests {
    @Test func minimalBodyDefaultsNameAndVisibility() throws {
        let c = try CreateRoom(body: body(#"{"room_id":"general"}"#))
        #expect(c.roomId == "general")
        #expect(c.name == "general")
        #expect(c.visibility == .public)
    }

    @Test func fullBody() throws {
        let c = try CreateRoom(body: body(#"{"room_id":"ops","name":"  Ops Team \n","visibility":"private"}"#))
        #expect(c.name == "Ops Team")
        #expect(c.visibility == .private)
    }

    @Test func nullFieldsCountAsAbsent() throws {
        let c = try CreateRoom(body: body(#"{"room_id":"general","name":null,"visibility":null}"#))
        #expect(c.name == "general")
        #expect(c.visibility == .public)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let c = try CreateRoom(body: body(#"{"room_id":"general","topic":"anything","x":[1]}"#))
        #expect(c.roomId == "general")
    }

    @Test func roomIdIsRequired() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try CreateRoom(body: [:]) } == [
                FieldError(field: "room_id", message: "is required")
            ])
        #expect(failingFields { () throws(ValidationFailure) in try CreateRoom(body: body(#"{"room_id":null}"#)) } == ["room_id"])
    }

    @Test(arguments: [#""_hidden""#, #""""#, #""a b""#, "42", "true", #"["a"]"#])
    func roomIdMustBeAnIdentifierString(_ json: String) {
        #expect(failingFields { () throws(ValidationFailure) in try CreateRoom(body: body(#"{"room_id":\#(json)}"#)) } == ["room_id"])
    }

    @Test func wrongTypeSaysSo() {
        #expect(
            fieldErrors { () throws(ValidationFailure) in try CreateRoom(body: body(#"{"room_id":7}"#)) } == [
                FieldError(field: "room_id", message: "must be a string")
            ])
    }

    @Test func nameBoundaries() throws {
        #expect(try CreateRoom(body: ["room_id": "r", "name": .string("x")]).name == "x")
        let hundred = String(repeating: "n", count: 100)
        #expect(try CreateRoom(body: ["room_id": "r", "name": .string(" \(hundred) ")]).name == hundred)
        let emoji = String(repeating: "👩‍👩‍👧", count: 100)
        #expect(try CreateRoom(body: ["room_id": "r", "name": .string(emoji)]).name == emoji)
        for bad in ["", "   ", "\n\t", String(repeating: "n", count: 101)] {
            #expect(
                failingFields { () throws(ValidationFailure) in try CreateRoom(body: ["room_id": "r", "name": .string(bad)]) } == ["name"])
        }
        #expect(failingFields { () throws(ValidationFailure) in try CreateRoom(body: ["room_id": "r", "name": .int(1)]) } == ["name"])
    }

    @Test(arguments: [#""Public""#, #""secret""#, #""""#, "1", "false"])
    func visibilityMustBePublicOrPrivate(_ json: String) {
        #expect(
            failingFields { () throws(ValidationFailure) in try CreateRoom(body: body(#"{"room_id":"r","visibility":\#(json)}"#)) }
                == ["visibility"])
    }

    @Test func collectsEveryError() {
        let errors = fieldErrors { () throws(ValidationFailure) in
            try CreateRoom(body: body(#"{"room_id":"-x","name":"","visibility":"hidden"}"#))
        }
        #expect(errors?.map(\.field) == ["room_id", "name", "visibility"])
    }
}
