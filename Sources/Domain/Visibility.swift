/// Who may read a room: anyone (`public`) or only its members (`private`).
public enum Visibility: String, Codable, Sendable {
    /// Anyone may read it and join it.
    case `public`
    /// Only members may read it; members add others.
    case `private`
}
