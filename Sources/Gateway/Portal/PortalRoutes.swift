import BrokerCore
import BrokerStore
import Foundation
import Hummingbird
import Metering

/// The province's credit portal (信用江苏), acting for one subject per call, who it has verified.
/// Every route is a `POST` whose body names the subject (`subject`: a USCC or a resident ID number,
/// never in the URL); the broker finds a person by the keyed hash of the number only and answers
/// about that subject and no other. Only partners of kind `portal` may call them (403 otherwise).
///
/// - `POST /v1/portal/disclosures`: who queried the subject (the meter ledger), newest first, paged.
/// - `POST /v1/portal/records`: the subject's own records, with their keys for a dispute.
/// - `POST /v1/portal/disputes`: file a dispute (异议) on one of them; `…/disputes/search`: their state.
/// - `POST /v1/portal/consents/search`: the consents about the subject, whichever partner holds them;
///   `…/consents/{id}/revoke`: withdraw one for the subject; `…/consents/{id}/receipt`: its signed receipt.
///
/// Each call is metered under purpose `subject_rights` with the subject's keyed hash, so it appears
/// in the subject's next "who queried me".
struct PortalRoutes {
    let service: SubjectRightsService

    func register(on routes: DisclosingRoutes) {
        routes.post("portal/disclosures") { request, context in try await disclosures(request, context) }
        routes.post("portal/records") { request, context in try await records(request, context) }
        routes.post("portal/disputes") { request, context in try await file(request, context) }
        routes.post("portal/disputes/search") { request, context in try await disputes(request, context) }
        routes.post("portal/consents/search") { request, context in try await consents(request, context) }
        routes.post("portal/consents/{id}/revoke") { request, context in try await revoke(request, context) }
        routes.post("portal/consents/{id}/receipt") { request, context in try await receipt(request, context) }
    }

    /// A portal call: the caller (a portal), its body, and the subject it names.
    private struct Call {
        let partner: AuthenticatedPartner
        let body: RequestBody
        let subject: SubjectIdentifier
        let subjectKey: String
        let now: Date

        /// What an answer about the subject discloses: `items` of its records, or about `consentID`.
        func disclosure(items: [String] = [], consentID: String? = nil) -> Disclosure {
            Disclosure(
                subjectKey: subjectKey, purpose: SubjectRightsService.portalPurpose, disclosed: items, consentID: consentID,
                contractVersion: partner.contract.version
            )
        }
    }

    /// Checks the caller is a portal, reads the body and its subject, and notes the subject for the
    /// meter (so that a call refused after this point is in the subject's ledger too).
    private func begin(_ request: Request, _ context: GatewayRequestContext) async throws -> Call {
        let partner = try context.requirePartner()
        guard partner.contract.kind == .portal else { throw Problem.portalOnly }
        let bytes = try await request.wholeBody(upTo: 64 * 1024)
        let body = try RequestBody(bytes.readableBytesView)
        let now = context.instant
        let subject = try body.subject(today: CivilDate(now))
        let call = Call(partner: partner, body: body, subject: subject, subjectKey: service.queries.subjectKey(subject), now: now)
        context.meter.note(call.disclosure())
        return call
    }

    // MARK: Who queried me

    private func disclosures(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let from = try Self.day(call.body, "from")
        let to = try Self.day(call.body, "to")
        if let from, let to, from > to { throw Problem.invalidRequest("to", "to must not be before from.") }
        let cursor = try call.body.string("cursor").map { text throws(Problem) in
            guard let position = DisclosureCursor(text) else {
                throw Problem.invalidRequest("cursor", "cursor must be a next_cursor an earlier page returned.")
            }
            return position
        }
        let limit = try Self.limit(call.body, maximum: SubjectLedger.maximumPage, default: 100)
        let hash = service.meterHash(ofSubjectKey: call.subjectKey)
        let fetched = try await service.ledger.disclosures(
            subjectHash: hash, from: from?.start(), until: to?.adding(days: 1).start(),
            before: cursor.map { ($0.microseconds, $0.id) }, limit: limit + 1
        )
        let page = fetched.prefix(limit)
        // The streams' deliveries are summarised once per period, with its first page.
        let deliveries = cursor == nil ? try await service.ledger.deliveries(subjectHash: hash, from: from, to: to) : []
        let snapshot = try context.requireSnapshot()
        let names = { (partner: String) in snapshot.contracts[partner]?.legalName ?? partner }
        let titles = snapshot.policies.purposes.titles
        return try DisclosedAnswer(json: DisclosureList(
            requestID: context.id, subject: service.queries.label(of: call.subject, profile: call.partner.contract.maskingProfile),
            subjectKind: call.subject.kind.rawValue,
            disclosures: page.map { DisclosureList.Entry($0, partnerName: names($0.partnerID), purposeTitle: $0.purpose.flatMap { titles[$0] }) },
            streamDeliveries: deliveries.map { DisclosureList.Delivery($0, partnerName: names($0.partnerID)) },
            nextCursor: fetched.count > limit ? page.last.map { DisclosureCursor(microseconds: $0.occurredMicroseconds, id: $0.id).text } : nil,
            hasMore: fetched.count > limit
        ), disclosure: call.disclosure())
    }

    // MARK: Records

    private func records(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let found = try await service.queries.reads.records { try await $0.ownRecords(of: call.subjectKey, on: CivilDate(call.now)) }
        let masker = service.queries.maskers[call.partner.contract.maskingProfile]
        var items: [String] = []
        for record in found where !items.contains(record.item) { items.append(record.item) }
        return try DisclosedAnswer(json: OwnRecords(
            requestID: context.id, subject: service.queries.label(of: call.subject, profile: call.partner.contract.maskingProfile),
            records: found.map { record in
                OwnRecords.Record(record, fields: service.queries.markedFields(of: record, masker: masker))
            }
        ), disclosure: call.disclosure(items: items))
    }

    // MARK: Disputes

    private func file(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        guard let record = try call.body.object("record") else {
            throw Problem.invalidRequest("record", "record is required: the source and source_record_id of the record disputed, as POST /v1/portal/records lists them.")
        }
        let source = try record.string(required: "source")
        let sourceRecordID = try record.string(required: "source_record_id")
        let reason = try Self.text(call.body, "reason", required: true) ?? ""
        let statement = try Self.text(call.body, "statement", required: false)
        let keep = try call.body.bool("keep_statement") ?? false
        if keep, statement == nil {
            throw Problem.invalidRequest("keep_statement", "keep_statement asks for the statement to stay beside the record if the dispute is confirmed: give a statement.")
        }
        let dispute: StoredDispute
        do {
            dispute = try await service.disputes.file(.init(
                subjectKey: call.subjectKey, source: source, sourceRecordID: sourceRecordID, reason: reason, statement: statement,
                keepStatement: keep, filedBy: call.partner.partnerID
            ), at: call.now)
        } catch let refusal as DisputeStore.Refusal {
            throw Problem(refusal)
        }
        return try DisclosedAnswer(json: DisputeView(dispute, today: CivilDate(call.now), for: .portal), disclosure: call.disclosure(), status: .created)
    }

    private func disputes(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let today = CivilDate(call.now)
        let found = try await service.disputes.disputes(ofSubject: call.subjectKey)
        return try DisclosedAnswer(json: DisputeList(disputes: found.map { DisputeView($0, today: today, for: .portal) }), disclosure: call.disclosure())
    }

    // MARK: Consents

    private func consents(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let found = try await service.queries.consents.consents(ofSubject: call.subjectKey)
        let views = try await views(found, call, context)
        return try DisclosedAnswer(json: ConsentList(consents: views), disclosure: call.disclosure())
    }

    private func revoke(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let id = try context.parameters.require("id")
        guard let revoked = try await service.queries.consents.revokeForSubject(id: id, subjectKey: call.subjectKey, at: call.now) else {
            throw Problem.consentNotFound
        }
        // The revocation took effect: an answer that fails from here is metered as about the consent.
        context.meter.note(call.disclosure(consentID: id))
        let view = try await views([revoked], call, context)[0]
        return try DisclosedAnswer(json: view, disclosure: call.disclosure(consentID: id))
    }

    private func receipt(_ request: Request, _ context: GatewayRequestContext) async throws -> DisclosedAnswer {
        let call = try await begin(request, context)
        let id = try context.parameters.require("id")
        guard let consent = try await service.queries.consents.fetch(id: id, subjectKey: call.subjectKey) else { throw Problem.consentNotFound }
        let snapshot = try context.requireSnapshot()
        return try ConsentReceipt(
            consent, holderName: snapshot.contracts[consent.partnerID]?.legalName ?? consent.partnerID,
            purposeTitles: snapshot.policies.purposes.titles, requestID: context.id, at: call.now
        ).answer(call.disclosure())
    }

    private func views(_ consents: [StoredConsent], _ call: Call, _ context: GatewayRequestContext) async throws -> [ConsentView] {
        let extensions = Dictionary(grouping: try await service.queries.consents.extensions(of: consents.map(\.consent.id)), by: \.consentID)
        let snapshot = try context.requireSnapshot()
        return consents.map {
            ConsentView(
                $0, extensions: extensions[$0.consent.id] ?? [], at: call.now,
                holder: snapshot.contracts[$0.partnerID]?.legalName ?? $0.partnerID
            )
        }
    }

    // MARK: Body members

    /// An optional day member `YYYY-MM-DD` (China time).
    private static func day(_ body: RequestBody, _ name: String) throws(Problem) -> CivilDate? {
        guard let text = try body.string(name) else { return nil }
        guard let day = CivilDate(text) else { throw .invalidRequest(name, "\(name) must be a day YYYY-MM-DD (China time).") }
        return day
    }

    /// The `limit` member: 1 to `maximum`.
    private static func limit(_ body: RequestBody, maximum: Int, default value: Int) throws(Problem) -> Int {
        switch try body.value("limit") {
        case nil: return value
        case .number(let text)?: if let limit = Int(text), (1...maximum).contains(limit) { return limit }
        default: break
        }
        throw .invalidRequest("limit", "limit must be a whole number from 1 to \(maximum).")
    }

    /// A text member the subject wrote: 1 to 2,000 characters, no control characters but line breaks and tabs.
    private static func text(_ body: RequestBody, _ name: String, required: Bool) throws(Problem) -> String? {
        guard let text = try body.string(name), !text.isEmpty else {
            if required { throw .invalidRequest(name, "\(name) is required.") }
            return nil
        }
        try WrittenText.check(text, field: name, maximum: DisputeStore.maximumText)
        return text
    }
}

/// The position after the last disclosure of a page, opaque to the portal: base64url of a tag byte
/// (`w`), the meter event's time in microseconds and its ledger id.
struct DisclosureCursor: Sendable, Hashable {
    let microseconds: Int64
    let id: Int64

    init(microseconds: Int64, id: Int64) {
        self.microseconds = microseconds
        self.id = id
    }

    init?(_ text: String) {
        guard text.utf8.count == 23, let bytes = Data(base64URLEncoded: text), bytes.count == 17, bytes.first == 0x77 else { return nil }
        func number(_ range: Range<Int>) -> Int64 { Int64(bitPattern: bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
        microseconds = number(1..<9)
        id = number(9..<17)
        guard id > 0 else { return nil }
    }

    var text: String {
        func bytes(_ value: Int64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> ($0 * 8)) } }
        return Data([0x77] + bytes(microseconds) + bytes(id)).base64URLEncoded
    }
}
