import Domain
import Testing

@Suite struct IdentifierTests {
    @Test(arguments: [
        "a", "Z", "0", "general", "room-1", "a_b.c-d", "9lives", "A.", "x-",
        String(repeating: "a", count: 64), "a" + String(repeating: "_", count: 63),
    ])
    func valid(_ id: String) {
        #expect(Identifier.isValid(id))
    }

    @Test(arguments: [
        "", "_a", ".a", "-a", "a b", " a", "a ", "a/b", "a:b", "a@b", "a+b", "room#1",
        String(repeating: "a", count: 65), "é", "aé", "a\u{0}", "a\n", "ａ",  // full-width a
        "a💬",
    ])
    func invalid(_ id: String) {
        #expect(!Identifier.isValid(id))
    }

    @Test func streamNames() {
        #expect(StreamName.room("general") == "room-general")
        #expect(StreamName.order("o-1") == "order-o-1")
        #expect(StreamName.notifications(forUser: "alice") == "notification-alice")
    }

    @Test(arguments: [" ", "~", "a", "key with spaces", String(repeating: "k", count: 128), "!\"#$%&'()*+,-./"])
    func validIdempotencyKeys(_ key: String) {
        #expect(IdempotencyKey.isValid(key))
    }

    @Test(arguments: ["", String(repeating: "k", count: 129), "tab\t", "new\nline", "\u{7F}", "é", "key-✓"])
    func invalidIdempotencyKeys(_ key: String) {
        #expect(!IdempotencyKey.isValid(key))
    }
}
