/// The body of a `GET /v1/watchlist` answer: a page of watched subjects in order of reference.
struct WatchlistPage: Encodable {
    let subjects: [WatchlistAnswer.Subject]
    /// The `after` of the next page while `hasMore`.
    let nextAfter: String?
    let hasMore: Bool

    enum CodingKeys: String, CodingKey { case subjects, nextAfter = "next_after", hasMore = "has_more" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subjects, forKey: .subjects)
        try container.encode(nextAfter, forKey: .nextAfter)
        try container.encode(hasMore, forKey: .hasMore)
    }
}
