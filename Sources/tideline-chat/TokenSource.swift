/// The token the client presents: the one given with `--token`, or one minted by the dev route
/// and minted again when it expires.
actor TokenSource {
    private let api: ChatAPI
    private let user: String
    /// Whether this client mints its own tokens (no `--token` given).
    nonisolated let canRefresh: Bool
    private(set) var current: String

    /// Uses `token`, or asks the development route for one.
    init(api: ChatAPI, user: String, token: String?) async throws(ChatAPI.Failure) {
        self.api = api
        self.user = user
        if let token {
            current = token
            canRefresh = false
        } else {
            current = try await api.devToken(user: user).token
            canRefresh = true
        }
    }

    func refresh() async throws(ChatAPI.Failure) {
        current = try await api.devToken(user: user).token
    }
}
