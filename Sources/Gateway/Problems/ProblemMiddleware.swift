import Hummingbird

/// Turns every error that is not already a `Problem` into one, so that the API answers nothing but
/// `application/problem+json` on failure (unknown routes, bad methods, unexpected errors).
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as any HTTPResponseError {
            let slug = error.status == .notFound ? "not-found" : "http-\(error.status.code)"
            throw Problem(slug, title: error.status.reasonPhrase, status: error.status, detail: error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw Problem.internal()
        }
    }
}
