/// A value handed to the metering API that it refuses: which field, and why.
///
/// The message never contains the value itself (it may be a partner's data).
public struct MeteringInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }

    /// Refuses an empty text or one longer than `maximum` UTF-8 bytes.
    static func checkText(_ text: String, _ field: String, maximum: Int) throws(MeteringInputError) {
        if text.isEmpty { throw MeteringInputError(field: field, reason: "must not be empty") }
        if text.utf8.count > maximum { throw MeteringInputError(field: field, reason: "is longer than \(maximum) bytes") }
    }
}
