/// An event about to be appended. `data` and `metadata` are JSON objects, already encoded.
public struct NewEvent: Sendable, Equatable {
    public var type: String
    public var data: String
    public var metadata: String

    public init(type: String, data: String, metadata: String) {
        self.type = type
        self.data = data
        self.metadata = metadata
    }
}

/// What an append wrote: the global positions of its first and last event and the stream's new version.
public struct AppendResult: Sendable, Equatable {
    public var firstPosition: Int64
    public var lastPosition: Int64
    public var lastVersion: Int64

    public init(firstPosition: Int64, lastPosition: Int64, lastVersion: Int64) {
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.lastVersion = lastVersion
    }
}
