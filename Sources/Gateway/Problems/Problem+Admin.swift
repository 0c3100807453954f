extension Problem {
    /// 403: the admin's role may not use this endpoint; names the roles that may.
    static func roleNotAllowed(_ allowed: [AdminRole], had role: AdminRole?) -> Problem {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(
            "role-not-allowed", title: "Role not allowed", status: .forbidden,
            detail: "Only the \(names) role\(allowed.count == 1 ? "" : "s") may use this endpoint; the certificate carries \(role.map { "the \($0.rawValue) role" } ?? "no admin role")."
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
