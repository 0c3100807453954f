/// Text a person wrote (a change's reason, a dispute's words), as the broker stores it: at most
/// `maximum` characters as PostgreSQL and OpenAPI count them (code points), and no control character
/// but line breaks and tabs. PostgreSQL text cannot hold NUL (libpq would end the value there), and
/// the other control characters have no place in it.
enum WrittenText {
    static func check(_ text: String, field: String, maximum: Int) throws(Problem) {
        // Code points, not grapheme clusters: one letter may carry any number of combining marks.
        guard text.unicodeScalars.count <= maximum else {
            throw .invalidRequest(field, "\(field) is longer than \(maximum) characters.")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && !["\n", "\t", "\r"].contains($0) }) else {
            throw .invalidRequest(field, "\(field) holds a control character; only line breaks and tabs are allowed.")
        }
    }
}
