import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import Metering

/// The admin API under `/admin/v1`, each endpoint allowed to exactly the roles it names:
///
/// - `GET partners` (system, security): every partner's governing contract and the credentials
///   that authenticate it now (certificate bindings; API keys unrevoked and unexpired).
/// - `POST partners/{partner}/keys` (security): issue a credit agency's API key; the token is in
///   the answer once. `GET partners/{partner}/keys` (security): the keys issued to any partner
///   (a key issued to a bank by mistake shows here, and never authenticates).
///   `DELETE keys/{keyID}` (security): revoke a key.
/// - `GET usage?partner=&from=&to=` (audit, system): a partner's metered usage by day and item.
/// - `GET audit?since=&limit=` (audit): the audit chain, in order, with hashes.
struct AdminRoutes {
    let contracts: [Contract]
    let keys: ApiKeyStore
    let usage: UsageQuery
    let audit: AdminAuditLog

    private struct KeyView: Encodable {
        let keyID: String
        let partner: String
        let created: String
        let expires: String?
        let revoked: String?
        /// Only in the answer that issues the key.
        let token: String?

        enum CodingKeys: String, CodingKey { case keyID = "key_id", partner, created, expires, revoked, token }

        init(_ record: ApiKeyStore.Record, token: String? = nil) {
            keyID = record.keyID
            partner = record.partnerID
            created = record.createdAt.formatted(.iso8601)
            expires = record.expiresAt?.formatted(.iso8601)
            revoked = record.revokedAt?.formatted(.iso8601)
            self.token = token
        }
    }

    private struct KeyList: Encodable {
        let partner: String
        let keys: [KeyView]
    }

    private struct PartnerList: Encodable {
        let partners: [AdminPartnerView]
    }

    private struct UsageReport: Encodable {
        let partner: String
        let from: CivilDate
        let to: CivilDate
        let days: [UsageDay]
    }

    private struct AuditPage: Encodable {
        struct Row: Encodable {
            struct Actor: Encodable {
                let fingerprint: String
                let subject: String
            }

            let seq: Int
            let time: String
            let actor: Actor
            let role: String?
            let method: String
            let path: String
            let partner: String?
            let status: Int
            let detail: String
            /// `cli` for a change made with the command line on the broker's host.
            let via: String?
            let hash: String
        }

        let records: [Row]
        /// Pass as `since` for the next page.
        let next: Int

        init(_ records: [AdminAuditRecord], since: Int) {
            self.records = records.map { record in
                Row(
                    seq: record.seq, time: record.time.formatted(.iso8601),
                    actor: .init(fingerprint: record.entry.actorFingerprint, subject: record.entry.actorSubject),
                    role: record.entry.role, method: record.entry.method, path: record.entry.path,
                    partner: record.entry.targetPartner, status: record.entry.status, detail: record.entry.detail,
                    via: record.entry.via, hash: record.hash
                )
            }
            next = records.last?.seq ?? since
        }
    }

    func register(on group: RouterGroup<AdminRequestContext>) {
        group.get("partners") { _, context -> Response in
            try context.require(.system, .security)
            let live = try await keys.liveKeyIDs()
            context.audit.note(partner: nil, "listed \(contracts.count) partners")
            return try Self.json(PartnerList(partners: contracts.map { AdminPartnerView($0, liveKeyIDs: live[$0.partnerID] ?? []) }))
        }
        group.post("partners/{partner}/keys") { request, context -> Response in
            try context.require(.security)
            let partner = try agency(context)
            let expiry = try await Self.expiry(request)
            let (record, token) = try await ApiKeyStore.issue(
                partnerID: partner, expiresAt: expiry?.adding(days: 1).start(), on: context.requireTransaction()
            )
            context.audit.note(partner: partner, "issued \(record.keyID)\(expiry.map { ", last day \($0)" } ?? "")")
            return try Self.json(KeyView(record, token: token), status: .created)
        }
        group.get("partners/{partner}/keys") { _, context -> Response in
            try context.require(.security)
            let partner = try contract(context).partnerID
            let list = try await keys.keys(of: partner)
            context.audit.note(partner: partner, "listed \(list.count) keys")
            return try Self.json(KeyList(partner: partner, keys: list.map { KeyView($0) }))
        }
        group.delete("keys/{keyID}") { _, context -> Response in
            try context.require(.security)
            let keyID = try context.parameters.require("keyID")
            guard ApiKey.isKeyID(keyID) else { throw Problem.invalidRequest("keyID", "keyID must be ak_ and 16 lowercase hex digits.") }
            guard let record = try await ApiKeyStore.revoke(keyID: keyID, on: context.requireTransaction()) else { throw Problem.unknownKey() }
            context.audit.note(partner: record.partnerID, "revoked \(record.keyID)")
            return try Self.json(KeyView(record))
        }
        group.get("usage") { request, context -> Response in
            try context.require(.audit, .system)
            guard let partner = request.uri.queryParameters.get("partner"), !partner.isEmpty else {
                throw Problem.invalidRequest("partner", "partner is required: the partner id whose usage to report.")
            }
            guard contracts.contains(where: { $0.partnerID == partner }) else { throw Problem.unknownPartner() }
            let today = CivilDate(Date())
            let from = try request.date("from") ?? today
            let to = try request.date("to") ?? today
            let days: [UsageDay]
            do {
                days = try await usage.usage(partner: partner, from: from, to: to)
            } catch let error as MeteringInputError {
                throw Problem.invalidRequest(error.field, "\(error.field) \(error.reason).")
            }
            context.audit.note(partner: partner, "usage \(from)…\(to)")
            return try Self.json(UsageReport(partner: partner, from: from, to: to, days: days))
        }
        group.get("audit") { request, context -> Response in
            try context.require(.audit)
            let since = try request.integer("since", in: 0...Int.max) ?? 0
            let limit = try request.integer("limit", in: 1...AdminAuditLog.maximumPage) ?? 100
            let records = try await audit.records(since: since, limit: limit)
            context.audit.note(partner: nil, "read \(records.count) rows after seq \(since)")
            return try Self.json(AuditPage(records, since: since))
        }
    }

    /// The governing contract of the path's `{partner}`, or 404.
    private func contract(_ context: AdminRequestContext) throws -> Contract {
        let partner = try context.parameters.require("partner")
        guard let contract = contracts.first(where: { $0.partnerID == partner }) else { throw Problem.unknownPartner() }
        return contract
    }

    /// The path's `{partner}`, which must be a credit agency (the partners that use API keys).
    private func agency(_ context: AdminRequestContext) throws -> String {
        let contract = try contract(context)
        guard contract.kind == .creditAgency else { throw Problem.partnerNotAgency(contract.kind.rawValue) }
        return contract.partnerID
    }

    /// The optional body `{"expires": "YYYY-MM-DD"}`: the key's last day (China time), today or later.
    private static func expiry(_ request: Request) async throws -> CivilDate? {
        let bytes = try await request.wholeBody(upTo: 4 * 1024)
        guard bytes.readableBytes > 0 else { return nil }
        guard let text = try RequestBody(bytes.readableBytesView).string("expires") else { return nil }
        guard let day = CivilDate(text) else { throw Problem.invalidRequest("expires", "expires must be a date as YYYY-MM-DD.") }
        guard day >= CivilDate(Date()) else { throw Problem.invalidRequest("expires", "expires (\(day)) is in the past.") }
        return day
    }

    private static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try JSONResponse.encode(value))))
    }
}
