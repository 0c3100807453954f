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
        guard let text = uri.queryParameters.get("limit") else { return defaultLimit }
        guard let limit = Int(text), (1...maximumLimit).contains(limit) else {
            throw Problem(
                "invalid-request", title: "Invalid request", status: .badRequest,
                detail: "limit must be a whole number from 1 to \(maximumLimit).", field: "limit"
            )
        }
        return limit
    }
}
