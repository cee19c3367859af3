import Domain
import Testing

/// Whether the client gave a message's `client_msg_id` (contract section 10, issue 26).
@Suite struct MessagePostedTests {
    @Test func anIDOfTheShapeTheServerGeneratedBeforeTheFlagCountsAsGenerated() {
        #expect(MessagePosted.isGeneratedClientMsgId("srv-d901bf8a-37a0-462d-9f9c-7deefe18e1b1"))
        #expect(!MessagePosted.isGeneratedClientMsgId("srv-D901BF8A-37A0-462D-9F9C-7DEEFE18E1B1"))
        #expect(!MessagePosted.isGeneratedClientMsgId("srv-1"))
        #expect(!MessagePosted.isGeneratedClientMsgId("c-d901bf8a-37a0-462d-9f9c-7deefe18e1b1"))
        let old = MessagePosted(roomId: "a", messageId: "m-1", author: "ann", text: "hi", clientMsgId: "srv-d901bf8a-37a0-462d-9f9c-7deefe18e1b1")
        #expect(old.clientGaveNoID)
        #expect(!MessagePosted(roomId: "a", messageId: "m-1", author: "ann", text: "hi", clientMsgId: "c-1").clientGaveNoID)
    }
}
