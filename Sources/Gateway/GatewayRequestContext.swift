import Foundation
import Hummingbird
import NIOCore

/// The request context of the partner API: the connection it came in on, and, once
/// `PartnerAuthenticator` has run, the instant the request is served at, the contract snapshot it
/// is served under and the partner.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's channel (an HTTP/2 stream or the HTTP/1 connection).
    let channel: any Channel
    /// Set by `PartnerAuthenticator` before any `/v1` handler runs.
    public var partner: AuthenticatedPartner?
    /// The contracts the request is served under, pinned by `PartnerAuthenticator` at its start.
    public var snapshot: ContractSnapshot?
    /// The request's one reading of the clock (quota day, decision, receipt and meter time).
    public var instant = Date()
    /// What the handler disclosed and withheld, for the request's meter event.
    public let meter = MeterNote()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The authenticated partner; only routes behind `PartnerAuthenticator` may ask.
    func requirePartner() throws -> AuthenticatedPartner {
        guard let partner else { throw Problem.unauthenticated("The request carries no credential.") }
        return partner
    }

    /// The pinned contract snapshot; only routes behind `PartnerAuthenticator` may ask.
    func requireSnapshot() throws -> ContractSnapshot {
        guard let snapshot else { throw Problem.unauthenticated("The request carries no credential.") }
        return snapshot
    }
}
