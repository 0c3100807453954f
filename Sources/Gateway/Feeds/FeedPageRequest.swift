import HummingbirdCore

/// The query of a paged stream request: `since` (a cursor, optional) and `limit` (1…5,000, default 500).
struct FeedPageRequest: Sendable {
    static let defaultLimit = 500
    static let maximumLimit = 5_000

    let cursor: FeedCursor
    let limit: Int

    init(_ uri: URI, stream: FeedCursor.Stream) throws(Problem) {
        cursor = try FeedCursor(uri.queryParameters.get("since"), stream: stream)
        limit = try Self.limit(uri)
    }

    /// The `limit` query parameter: 1 to `maximumLimit`, `defaultLimit` when absent.
    static func limit(_ uri: URI) throws(Problem) -> Int {
        try uri.integer("limit", in: 1...maximumLimit) ?? defaultLimit
    }
}
