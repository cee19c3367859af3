import Domain
import Foundation
import Testing

@Suite struct JSONValueTests {
    private func decode(_ json: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
    }

    @Test func decodesEveryKind() throws {
        let value = try decode(#"{"n":null,"b":true,"i":42,"d":1.5,"s":"x","a":[1,"y"],"o":{"k":false}}"#)
        #expect(
            value
                == .object([
                    "n": .null, "b": .bool(true), "i": .int(42), "d": .double(1.5), "s": .string("x"),
                    "a": .array([.int(1), .string("y")]), "o": .object(["k": .bool(false)]),
                ]))
    }

    @Test func booleansStayBooleansAndNumbersStayNumbers() throws {
        #expect(try decode("true") == .bool(true))
        #expect(try decode("false") == .bool(false))
        #expect(try decode("1") == .int(1))
        #expect(try decode("0") == .int(0))
        #expect(try decode(#""true""#) == .string("true"))
    }

    @Test func integersAreExactUpToInt64() throws {
        #expect(try decode("9007199254740993") == .int(9_007_199_254_740_993))  // 2^53 + 1
        #expect(try decode("9223372036854775807") == .int(.max))
        #expect(try decode("-9223372036854775808") == .int(.min))
        // One past Int64.max can only be a Double.
        guard case .double = try decode("9223372036854775808") else {
            Issue.record("expected a double")
            return
        }
    }

    @Test func fractionsAreDoubles() throws {
        #expect(try decode("1.5") == .double(1.5))
        #expect(try decode("-0.25") == .double(-0.25))
    }

    @Test func exactValuedNumbersAreIntegersWhateverTheirSpelling() throws {
        // Foundation's decoder reads these as exact integers; validation relies on it only in
        // that it accepts them as quantities and prices.
        #expect(try decode("3.0") == .int(3))
        #expect(try decode("1e2") == .int(100))
    }

    @Test func numbersBeyondDoubleAreNotJSONValues() {
        #expect(throws: DecodingError.self) { try decode("1e400") }
    }

    @Test func encodingRoundTrips() throws {
        let value = JSONValue.object([
            "a": .array([.null, .bool(true), .int(-7), .double(2.5), .string("é/\"")]),
            "big": .int(.max),
        ])
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
    }

    @Test func bodyIsAnObjectOfValues() {
        #expect(body(#"{"room_id":"general"}"#) == ["room_id": .string("general")])
    }
}
