import HummingbirdCore

/// The query of a paged stream request: `since` (a cursor, optional) and `limit` (1…5,000, default 500).
struct FeedPageRequest: Sendable {
    static let defaultLimit = 500
    static let maximumLimit = 5_000

    let cursor: FeedCursor
    let limit: Int

    init(_ uri: URI, stream: FeedCursor.Stream) throws(Problem) {
        let query = uri.queryParameters
        cursor = try FeedCursor(query.get("since"), stream: stream)
        guard let text = query.get("limit") else {
            limit = Self.defaultLimit
            return
        }
        guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
            throw Problem(
                "invalid-request", title: "Invalid request", status: .badRequest,
                detail: "limit must be a whole number from 1 to \(Self.maximumLimit).", field: "limit"
            )
        }
        self.limit = limit
    }
}
