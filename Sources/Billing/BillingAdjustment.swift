import BrokerCore
import BrokerStore
import Foundation
import PostgresClient

/// A correction of a closed month: an amount (negative for a credit) with a reason, proposed by one
/// administrator and approved by another, then carried as an adjustment line by the partner's next
/// statement. Meter events and closed statements never change.
public struct BillingAdjustment: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case proposed, approved, rejected
    }

    public let id: Int64
    public let partnerID: String
    public let corrects: CivilMonth
    public let amount: Money
    public let reason: String
    public let status: Status
    public let proposedAt: Date
    public let proposedBy: ChangeActor
    public let decidedAt: Date?
    public let decidedBy: ChangeActor?
    public let decisionReason: String?
    /// The month whose statement carries it, once one does.
    public let carriedBy: CivilMonth?
}

extension BillingStore {
    /// Proposes an adjustment of `partner`'s account for the closed month `corrects`.
    /// - Throws: `BillingError` (`month-not-closed`, `unknown-partner`).
    public static func proposeAdjustment(
        partner: String, corrects: CivilMonth, amount: Money, reason: String, by actor: ChangeActor, at now: Date,
        on connection: PostgresConnection
    ) async throws -> BillingAdjustment {
        guard try await connection.query("SELECT 1 FROM contract_versions WHERE partner_id = \(partner) LIMIT 1").first != nil else {
            throw BillingError(.unknownPartner, field: "partner", "No contract names this partner.")
        }
        guard try await connection.query("SELECT 1 FROM billing_months WHERE month = \(corrects.firstDay)::date").first != nil else {
            throw BillingError(.monthNotClosed, field: "corrects", "\(corrects) is not closed: an adjustment corrects a closed month's statement.")
        }
        let row = try await connection.query("""
            INSERT INTO billing_adjustments AS a (partner_id, corrects_month, amount_fen, reason, proposed_at, proposer_fingerprint, proposer_subject)
            VALUES (\(partner), \(corrects.firstDay)::date, \(amount.fen), \(reason), \(now), \(actor.fingerprint), \(actor.subject))
            RETURNING \(unsafeRaw: adjustmentColumns)
            """)[0]
        return try adjustment(row)
    }

    /// Approves or rejects the open adjustment `id`; the approver is not its proposer.
    /// - Throws: `BillingError` (`unknown-adjustment`, `already-decided`, `own-adjustment`).
    public static func decideAdjustment(
        _ id: Int64, approve: Bool, reason: String, by actor: ChangeActor, at now: Date, on connection: PostgresConnection
    ) async throws -> BillingAdjustment {
        guard let row = try await connection.query("""
            SELECT \(unsafeRaw: adjustmentColumns) FROM billing_adjustments a WHERE id = \(id) FOR UPDATE
            """).first else {
            throw BillingError(.unknownAdjustment, field: "id", "No adjustment has this id.")
        }
        let open = try adjustment(row)
        guard open.status == .proposed else {
            throw BillingError(.alreadyDecided, field: "id", "Adjustment \(id) is \(open.status.rawValue) already; it is decided once.")
        }
        guard !actor.isSamePerson(as: open.proposedBy) else {
            throw BillingError(.ownAdjustment, "An adjustment is approved or rejected by an administrator other than its proposer.")
        }
        let decided = try await connection.query("""
            UPDATE billing_adjustments a
            SET status = \(approve ? "approved" : "rejected"), decided_at = \(now), decider_fingerprint = \(actor.fingerprint),
                decider_subject = \(actor.subject), decision_reason = \(reason)
            WHERE id = \(id)
            RETURNING \(unsafeRaw: adjustmentColumns)
            """)[0]
        return try adjustment(decided)
    }

    /// Adjustments, newest first: those of `partner` (all when `nil`) with `status` (any when `nil`).
    public func adjustments(partner: String?, status: BillingAdjustment.Status?, limit: Int) async throws -> [BillingAdjustment] {
        try await pool.query("""
            SELECT \(unsafeRaw: Self.adjustmentColumns) FROM billing_adjustments a
            WHERE (\(partner)::text IS NULL OR partner_id = \(partner)) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id DESC LIMIT \(limit)
            """).map(Self.adjustment)
    }

    static let adjustmentColumns = """
        a.id, a.partner_id, a.corrects_month, a.amount_fen, a.reason, a.status, a.proposed_at, a.proposer_fingerprint, a.proposer_subject,
        a.decided_at, a.decider_fingerprint, a.decider_subject, a.decision_reason,
        (SELECT s.month FROM billing_statements s WHERE s.id = a.statement_id)
        """

    static func adjustment(_ row: PostgresRow) throws -> BillingAdjustment {
        let deciderFingerprint = try row.decode(String?.self, at: 10)
        let deciderSubject = try row.decode(String?.self, at: 11)
        return BillingAdjustment(
            id: try row.decode(at: 0), partnerID: try row.decode(at: 1), corrects: CivilMonth(try row.decode(CivilDate.self, at: 2)),
            amount: Money(fen: try row.decode(at: 3)), reason: try row.decode(at: 4), status: try row.decode(at: 5), proposedAt: try row.decode(at: 6),
            proposedBy: ChangeActor(fingerprint: try row.decode(at: 7), subject: try row.decode(at: 8)),
            decidedAt: try row.decode(at: 9),
            decidedBy: deciderSubject.map { ChangeActor(fingerprint: deciderFingerprint ?? "", subject: $0) },
            decisionReason: try row.decode(at: 12), carriedBy: try row.decode(CivilDate?.self, at: 13).map(CivilMonth.init)
        )
    }
}

extension BillingAdjustment.Status: PostgresTextEnum {}
extension Statement.Unbilled: PostgresTextEnum {}
