import ChatCore
import Foundation
import Testing

@Suite struct ServerFrameTests {
    @Test func aMessageEventDecodesToAChatMessage() throws {
        let text = """
            {"type":"event","topic":"room:general","event":{"id":"1042","stream":"room-general","version":17,\
            "type":"chat.message_posted","occurred_at":"2026-11-22T12:00:00.123Z",\
            "data":{"room_id":"general","message_id":"m-1","author":"alice","text":"hi","client_msg_id":"c-1"},\
            "metadata":{"actor":"alice","command_id":"x","correlation_id":"y","causation_id":null}}}
            """
        let frame = try ServerFrame.decode(text)
        let date = try #require(Timestamp.parse("2026-11-22T12:00:00.123Z"))
        #expect(frame == .event(topic: "room:general", .messagePosted(ChatMessage(eventID: 1042, room: "general", author: "alice", text: "hi", occurredAt: date))))
    }

    @Test func membershipAndOtherEvents() throws {
        func event(_ type: String, _ data: String) -> String {
            #"{"type":"event","topic":"room:r","event":{"id":"7","stream":"room-r","version":1,"type":"\#(type)","occurred_at":"2026-01-01T00:00:00Z","data":\#(data),"metadata":{}}}"#
        }
        #expect(try ServerFrame.decode(event("chat.member_joined", #"{"room_id":"r","user":"bob","added_by":"bob"}"#)) == .event(topic: "room:r", .memberJoined(id: 7, room: "r", user: "bob")))
        #expect(try ServerFrame.decode(event("chat.member_left", #"{"room_id":"r","user":"bob"}"#)) == .event(topic: "room:r", .memberLeft(id: 7, room: "r", user: "bob")))
        #expect(try ServerFrame.decode(event("chat.room_created", #"{"room_id":"r","name":"r","visibility":"public","created_by":"bob"}"#)) == .event(topic: "room:r", .other(id: 7, type: "chat.room_created")))
    }

    @Test func controlFrames() throws {
        #expect(try ServerFrame.decode(#"{"type":"subscribed","ref":"1","topics":["room:general"]}"#) == .subscribed(ref: "1", topics: ["room:general"]))
        #expect(try ServerFrame.decode(#"{"type":"caught_up","ref":"1","event_id":"1040"}"#) == .caughtUp(ref: "1", eventID: 1040))
        #expect(try ServerFrame.decode(#"{"type":"ack","ref":"3","event_id":"1063","message_id":"m"}"#) == .ack(ref: "3", eventID: 1063))
        #expect(try ServerFrame.decode(#"{"type":"ack","ref":"4"}"#) == .ack(ref: "4", eventID: nil))
        #expect(try ServerFrame.decode(#"{"type":"typing","topic":"room:general","user":"bob","state":"started"}"#) == .typing(topic: "room:general", user: "bob", state: .started))
        #expect(try ServerFrame.decode(#"{"type":"error","ref":"3","code":"forbidden","message":"no"}"#) == .error(ref: "3", code: "forbidden", message: "no"))
        #expect(try ServerFrame.decode(#"{"type":"pong","ref":"5"}"#) == .pong(ref: "5"))
        #expect(try ServerFrame.decode(#"{"type":"future_thing"}"#) == .unknown(type: "future_thing"))
    }

    @Test func refusedTopicsAndTheTopicsOfErrorsDecode() throws {
        let subscribed = #"{"type":"subscribed","ref":"1","topics":["room:general"],"refused":[{"topic":"room:secret","code":"forbidden","message":"room secret is private","hint":"new"},{"code":"forbidden"}],"extra":1}"#
        #expect(try ServerFrame.decode(subscribed) == .subscribed(
            ref: "1", topics: ["room:general"], refused: [.init(topic: "room:secret", code: "forbidden", message: "room secret is private")]
        ))
        let refused = #"{"type":"error","ref":"1","code":"forbidden","message":"room secret is private","topics":["room:secret"]}"#
        #expect(try ServerFrame.decode(refused) == .error(ref: "1", code: "forbidden", message: "room secret is private", topics: ["room:secret"]))
        let ended = #"{"type":"error","code":"forbidden","message":"no longer a member: unsubscribed from room:x","topics":["room:x"]}"#
        #expect(try ServerFrame.decode(ended) == .error(ref: nil, code: "forbidden", message: "no longer a member: unsubscribed from room:x", topics: ["room:x"]))
        let unavailable = #"{"type":"error","ref":"1","code":"unavailable","message":"not yet","retry_after":1,"topics":["room:a"]}"#
        #expect(try ServerFrame.decode(unavailable) == .error(ref: "1", code: "unavailable", message: "not yet", topics: ["room:a"], retryAfter: .seconds(1)))
        let fractional = #"{"type":"error","ref":"1","code":"unavailable","message":"","retry_after":0.25}"#
        #expect(try ServerFrame.decode(fractional) == .error(ref: "1", code: "unavailable", message: "", retryAfter: .milliseconds(250)))
    }

    @Test func brokenFramesAreErrors() {
        #expect(throws: ServerFrame.DecodingError.self) { try ServerFrame.decode("not json") }
        #expect(throws: ServerFrame.DecodingError.self) { try ServerFrame.decode(#"{"type":"caught_up","ref":"1"}"#) }
        #expect(throws: ServerFrame.DecodingError.self) { try ServerFrame.decode(#"{"type":"typing","topic":"room:a","user":"b","state":"dancing"}"#) }
    }

    @Test func presenceFramesDecode() throws {
        #expect(try ServerFrame.decode(#"{"type":"presence","topic":"room:general","users":["alice","bob"]}"#)
            == .presence(topic: "room:general", users: ["alice", "bob"]))
        #expect(try ServerFrame.decode(#"{"type":"presence_diff","topic":"room:general","joins":["carol"],"leaves":[]}"#)
            == .presenceDiff(topic: "room:general", joins: ["carol"], leaves: []))
        #expect(throws: ServerFrame.DecodingError.self) { try ServerFrame.decode(#"{"type":"presence","users":[]}"#) }
    }
}

@Suite struct ClientFrameTests {
    @Test func framesEncodeAsTheContractShowsThem() throws {
        #expect(ClientFrame.subscribe(ref: "1", topics: ["room:general"], since: 1040).json == #"{"ref":"1","since":"1040","topics":["room:general"],"type":"subscribe"}"#)
        #expect(ClientFrame.subscribe(ref: "1", topics: ["room:general"], since: nil).json == #"{"ref":"1","topics":["room:general"],"type":"subscribe"}"#)
        #expect(ClientFrame.typing(room: "general", state: .stopped).json == #"{"room":"general","state":"stopped","type":"typing"}"#)
        #expect(ClientFrame.ping(ref: "5").json == #"{"ref":"5","type":"ping"}"#)
    }

    @Test func textIsEscaped() throws {
        let json = ClientFrame.post(ref: "c-1", room: "general", text: "say \"hi\"\n/ok", clientMsgID: "c-1").json
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: String]
        #expect(object == ["type": "post", "ref": "c-1", "room": "general", "text": "say \"hi\"\n/ok", "client_msg_id": "c-1"])
    }
}
