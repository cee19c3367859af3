extension String {
    /// The string without leading and trailing white space, newlines included.
    ///
    /// Works on `Character`s rather than Unicode scalars so that trimming can never split a
    /// grapheme cluster (`"\r\n"` is one character); a cluster counts as white space when its
    /// first scalar does, which is Swift's own `Character.isWhitespace`.
    func trimmingWhitespace() -> String {
        guard let start = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[start...last])
    }
}
