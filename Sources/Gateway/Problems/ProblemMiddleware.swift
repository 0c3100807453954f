import Hummingbird
import Logging
import PostgresClient

/// Turns every error that is not already a `Problem` into one, so that the API answers nothing but
/// `application/problem+json` on failure (unknown routes, bad methods, bodies over the limit,
/// unexpected errors).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw Problem(error, logger: context.logger)
        }
    }
}

extension Problem {
    /// The problem an error answers as: the database unreachable is a 503 with `Retry-After`; an
    /// unexpected error is logged by its type only (its text might hold a value) and answered 500.
    init(_ error: any Error, logger: Logger) {
        switch error {
        case let problem as Problem:
            self = problem
        case let error as any HTTPResponseError:
            self.init(httpError: error)
        case let error as PostgresError where error.isUnavailability:
            // Not the request's fault nor a bug: the database is down, restarting or saturated.
            logger.warning("request failed: database unavailable", metadata: ["error": "\(error.kind.rawValue)\(error.sqlState.map { " " + $0 } ?? "")"])
            self = .databaseUnavailable()
        case let error as PostgresError:
            // Its kind and SQLSTATE, never its text (a message may echo a value).
            logger.error("request failed", metadata: ["error": "PostgresError", "kind": "\(error.kind.rawValue)", "sqlstate": "\(error.sqlState ?? "none")"])
            self = .internal()
        default:
            logger.error("request failed", metadata: ["error": "\(String(reflecting: Swift.type(of: error)))"])
            self = .internal()
        }
    }

    /// An HTTP error of Hummingbird's (404 for an unknown route, 413 for a body over its limit …)
    /// as a problem with its status.
    init(httpError error: any HTTPResponseError) {
        let slug = switch error.status {
        case .notFound: "not-found"
        case .contentTooLarge: "body-too-large"
        default: "http-\(error.status.code)"
        }
        self.init(slug, title: error.status.reasonPhrase, status: error.status, detail: error.status.reasonPhrase)
    }
}

extension Problem {
    /// What `respond` answers, or the problem response its error answers as: for the middlewares
    /// that must see every answer as a response (to meter it, to add headers to it, to keep it).
    static func answer<Context: RequestContext>(
        _ request: Request, _ context: Context, _ respond: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await respond(request, context)
        } catch {
            return try Problem(error, logger: context.logger).response(from: request, context: context)
        }
    }
}
