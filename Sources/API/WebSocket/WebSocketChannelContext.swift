import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The upgrade router's context: Hummingbird's basic WebSocket context, plus the connection's
/// channel, which live delivery writes to directly (``ChannelSink``). The basic context drops it.
struct WebSocketChannelContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}
