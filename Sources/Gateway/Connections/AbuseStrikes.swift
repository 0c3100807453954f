import Hummingbird

/// Counts a hostile request against its client's address: a request refused with a `Problem`
/// whose `abuse` is set (JSON nested past the parser's limit, which no client of ours sends by
/// mistake) is a strike at the partner listener's `ConnectionGate`, as an HTTP/2 connection ended
/// for abuse is. Repeated strikes refuse the address at accept, before TLS, so an attacker cannot
/// make the broker verify a certificate, read a body and parse it many times a second.
///
/// Clumsy input (a missing member, a wrong type, invalid UTF-8, a body over the limit) is never a
/// strike: a bank's client with a bug must keep hearing why it was refused.
struct AbuseStrikes: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let gate: ConnectionGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            if let abuse = problem.abuse { gate.struck(context.channel.remoteAddress, abuse: abuse) }
            throw problem
        }
    }
}
