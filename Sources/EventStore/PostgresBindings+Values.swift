import PostgresNIO

extension PostgresBindings {
    /// Bindings for a prepared statement's `$1`, `$2`, … in order, from non-optional values
    /// (a NULL has to be appended on its own, with `append(_:)` of an optional).
    public init<each Value: PostgresDynamicTypeEncodable>(binding values: repeat each Value) {
        self.init()
        repeat append(each values)
    }
}
