import BrokerCore
import BrokerStore
import Hummingbird

extension Problem {
    /// 403: the admin's role may not use this endpoint; names the roles that may.
    static func roleNotAllowed(_ allowed: [AdminRole], had admin: AdminActor) -> Problem {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        let carried = if let role = admin.role {
            "the \(role.rawValue) role"
        } else if admin.subjectIsAmbiguous {
            "no admin role: its subject must name one person, with exactly one CN and no part of several attributes (CN=…+OU=…)"
        } else {
            "no admin role"
        }
        return Problem(
            "role-not-allowed", title: "Role not allowed", status: .forbidden,
            detail: "Only the \(names) role\(allowed.count == 1 ? "" : "s") may use this endpoint; the certificate carries \(carried)."
        )
    }

    /// 404: no governing contract names the partner.
    static func unknownPartner() -> Problem {
        Problem("unknown-partner", title: "Unknown partner", status: .notFound, detail: "No governing contract names this partner.", field: "partner")
    }

    /// 422: API keys are for credit agencies; other partners authenticate by certificate.
    static func partnerNotAgency(_ kind: String) -> Problem {
        Problem(
            "partner-not-agency", title: "Partner is not a credit agency", status: .unprocessableContent,
            detail: "The partner is a \(kind): it authenticates by client certificate, not API key.", field: "partner"
        )
    }

    /// A contract lifecycle step refused: 404 for an unknown partner or proposal, 422 for a document
    /// that is not a valid contract or not a change, 409 for a step that conflicts with the ledger as
    /// it stands, 403 for approving one's own proposal, 400 for a bad instant.
    init(_ error: ContractLifecycleError) {
        let (title, status): (String, HTTPResponse.Status) = switch error.code {
        case .unknownPartner: ("Unknown partner", .notFound)
        case .unknownProposal: ("Unknown proposal", .notFound)
        case .invalidContract: ("Invalid contract", .unprocessableContent)
        case .noChange: ("Nothing changes", .unprocessableContent)
        case .labelReused: ("Version label reused", .unprocessableContent)
        case .kindChanged: ("Partner kind changed", .unprocessableContent)
        case .credentialTaken: ("Credential taken", .conflict)
        case .partnerRetired: ("Partner retired", .conflict)
        case .effectiveInPast: ("Effective in the past", .badRequest)
        case .alreadyDecided: ("Already decided", .conflict)
        case .ownProposal: ("Own proposal", .forbidden)
        case .stale: ("Proposal stale", .conflict)
        case .statusUnchanged: ("Status unchanged", .conflict)
        }
        self.init(error.code.rawValue, title: title, status: status, detail: error.reason, field: error.field,
                  errors: error.diagnostics.isEmpty ? nil : error.diagnostics)
    }

    /// 404: no API key has this id.
    static func unknownKey() -> Problem {
        Problem("unknown-key", title: "Unknown API key", status: .notFound, detail: "No API key has this id.", field: "keyID")
    }

    /// 503: the audit row could not be written, so the answer was not sent.
    static func auditUnavailable() -> Problem {
        Problem(
            "audit-unavailable", title: "Audit unavailable", status: .serviceUnavailable,
            detail: "The request could not be recorded in the audit chain, so its answer was not sent; retry later.",
            headers: [.retryAfter: "5"]
        )
    }
}
