import Hummingbird
import Logging

/// Establishes the admin of each request from the connection's client certificate, which the TLS
/// handshake has already verified against the admin CA and its CRL (the admin listener requires
/// one), and counts it as accepted. Bearer tokens and partner certificates mean nothing here. Each
/// route enforces its roles, so that a refusal passes through the audit middleware like any other answer.
struct AdminAuthenticator: RouterMiddleware {
    typealias Context = AdminRequestContext

    let peers: PeerCertificateCache
    let counters: AuthenticationCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = try await peers.peer(of: context.channel) else {
            throw Problem.unauthenticated("The admin API requires an admin client certificate.")
        }
        counters.record(.certificateAccepted)
        var context = context
        let admin = AdminActor(peer)
        context.admin = admin
        context.logger[metadataKey: "admin"] = "\(admin.fingerprint)"
        return try await next(request, context)
    }
}
