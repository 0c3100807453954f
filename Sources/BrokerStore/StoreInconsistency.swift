/// What the database holds or answered breaks a rule of the store that reads it: a kept
/// statement's mark naming a dispute that holds none, a quota function's answer that does not add
/// up, events counted twice that differ, a migration changed after it was applied. It says where
/// and why, never a stored value. Not the driver's error (`PostgresError`): the statement ran, and
/// what it found is wrong; a request that meets one is answered 500 and the log names it.
public struct StoreInconsistency: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
