import BrokerCore
import BrokerStore
import Hummingbird
import Logging

/// Establishes the partner of each request: by the connection's verified client certificate
/// (banks, the joint-credit company) or by `Authorization: Bearer ak_….secret` (agencies), in the
/// contract snapshot the request pins here, at its one reading of the clock. A suspended or
/// retired partner is refused whatever credential it presents (403).
///
/// Presenting both is allowed only if they name the same partner. An `Authorization` header the
/// broker does not understand (another scheme, a bearer without a token) is refused even beside a
/// valid certificate: credentials are never silently ignored. Failures answer 401 (no, bad or
/// unsupported credential) or 403 (a valid certificate no contract binds), are counted, and are
/// logged by outcome, key id or fingerprint, never by secret.
struct PartnerAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let contracts: LiveContracts
    let keys: ApiKeyStore
    let peers: PeerCertificateCache
    let counters: AuthenticationCounters

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.instant = contracts.clock.now()
        let snapshot = contracts.snapshot(at: context.instant)
        context.snapshot = snapshot
        let contract = try await authenticate(request, context: context, directory: snapshot.directory)
        switch snapshot.status(of: contract.partner.partnerID) {
        case .active: break
        case .suspended:
            refuse(.partnerSuspended, context, ["partner": "\(contract.partner.partnerID)"])
            throw Problem.partnerSuspended()
        case .retired:
            refuse(.partnerRetired, context, ["partner": "\(contract.partner.partnerID)"])
            throw Problem.partnerRetired()
        }
        counters.record(contract.accepted)
        guard let handle = snapshot.engine.partner(contract.partner.partnerID) else {
            preconditionFailure("a snapshot's directory and engine hold the same partners")
        }
        context.partner = AuthenticatedPartner(contract: contract.partner, credential: contract.credential, handle: handle)
        context.logger[metadataKey: "partner"] = "\(contract.partner.partnerID)"
        return try await next(request, context)
    }

    private func authenticate(
        _ request: Request, context: Context, directory: PartnerDirectory
    ) async throws -> (partner: Contract, credential: AuthenticatedPartner.Credential, accepted: AuthenticationCounters.Outcome) {
        var bearer: Substring?
        let authorizations = request.headers[values: .authorization]
        if let authorization = authorizations.first {
            guard authorizations.count == 1, let token = Self.bearerToken(authorization), !token.isEmpty else {
                refuse(.credentialUnsupported, context, [:])
                throw Problem.unauthenticated("Send one Authorization header, Bearer ak_<16 hex>.<secret>; other schemes are not accepted.")
            }
            bearer = token
        }
        if let peer = try await peers.peer(of: context.channel) {
            guard let contract = directory.contract(for: peer) else {
                refuse(.certificateNotBound, context, ["fingerprint": "\(peer.fingerprint.hex)"])
                throw Problem.certificateNotBound()
            }
            if let bearer {
                let keyPartner = try await keyContract(bearer, context: context, directory: directory)
                guard keyPartner.partnerID == contract.partnerID else {
                    refuse(.credentialsConflict, context, ["fingerprint": "\(peer.fingerprint.hex)"])
                    throw Problem.unauthenticated("The client certificate and the API key belong to different partners.")
                }
            }
            return (contract, .certificate(fingerprint: peer.fingerprint.hex), .certificateAccepted)
        }
        guard let bearer else {
            refuse(.credentialMissing, context, [:])
            throw Problem.unauthenticated("Present a client certificate or an API key (Authorization: Bearer ak_….secret).")
        }
        let contract = try await keyContract(bearer, context: context, directory: directory)
        return (contract, .apiKey(id: String(bearer.split(separator: ".")[0])), .keyAccepted)
    }

    /// The agency a bearer token authenticates, or a 401.
    private func keyContract(_ token: Substring?, context: Context, directory: PartnerDirectory) async throws -> Contract {
        guard let token, let key = ApiKey(token) else {
            refuse(.keyRefused, context, ["reason": "malformed"])
            throw Problem.unauthenticated("The API key is not of the form ak_<16 hex>.<secret>.")
        }
        switch try await keys.authenticate(key) {
        case .failure(let refusal):
            refuse(.keyRefused, context, ["key": "\(key.id)", "reason": "\(refusal.rawValue)"])
        case .success(let partnerID):
            if let contract = directory.contract(forKey: key.id, issuedTo: partnerID) { return contract }
            refuse(.keyRefused, context, ["key": "\(key.id)", "reason": "no_agency_contract"])
        }
        throw Problem.unauthenticated("The API key is unknown, expired, revoked or not valid for an agency contract.")
    }

    private static func bearerToken(_ header: String) -> Substring? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].drop { $0 == " " }
    }

    private func refuse(_ outcome: AuthenticationCounters.Outcome, _ context: Context, _ metadata: Logger.Metadata) {
        counters.record(outcome)
        var metadata = metadata
        metadata["outcome"] = "\(outcome.rawValue)"
        context.logger.notice("authentication refused", metadata: metadata)
    }
}
