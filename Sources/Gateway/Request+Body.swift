import Hummingbird

extension Request {
    /// The whole body, at most `limit` bytes (beyond: 413). A body that does not arrive whole (the
    /// client closed the connection halfway, broke the framing, or ran out of time) is the client's
    /// failure, not the broker's: 400 `request-incomplete`, never a 500 or an error in the log.
    func wholeBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch {
            throw Problem(readingBody: error, limit: limit)
        }
    }

    /// `wholeBody(upTo:)`, kept on the request for the routes after (Hummingbird's `collectBody`).
    mutating func collectWholeBody(upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await collectBody(upTo: limit)
        } catch {
            throw Problem(readingBody: error, limit: limit)
        }
    }
}

extension Problem {
    /// What an error met while reading a request body answers: the request's deadline 408 (what
    /// `RequestDeadline` sends the client), a body over `limit` 413
    /// `body-too-large` naming the limit (`field: body`), another HTTP error as it is, anything else
    /// 400 `request-incomplete`.
    init(readingBody error: any Error, limit: Int) {
        if let problem = error as? Problem {
            self = problem
        } else if let timedOut = error as? RequestTimedOut {
            self = timedOut.problem
        } else if let error = error as? any HTTPResponseError, error.status == .contentTooLarge {
            self.init(
                "body-too-large", title: "Content Too Large", status: .contentTooLarge,
                detail: "The request body is over this operation's limit of \(limit) bytes (\(limit / 1024) KiB).",
                field: "body"
            )
        } else if let error = error as? any HTTPResponseError {
            self.init(httpError: error)
        } else {
            self.init(
                "request-incomplete", title: "Request incomplete", status: .badRequest,
                detail: "The request body did not arrive whole: the connection closed or the body's framing broke before its end."
            )
        }
    }
}
