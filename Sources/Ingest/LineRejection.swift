/// Why one feed line was refused: the field at fault and the rule it broke, never the value itself.
struct LineRejection: Error, Hashable {
    /// The line's key (`item`, `subject`, …), `fields.<name>` for an item field, or empty for the line as a whole.
    let field: String
    let reason: String

    init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }
}
