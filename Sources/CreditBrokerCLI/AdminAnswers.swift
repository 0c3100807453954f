import BrokerCore
import Foundation
import Gateway
import PKI
import X509

/// How `credit-broker admin` reads the admin API's answers (`Contracts/api/admin-openapi.yaml`):
/// the Gateway's own views, decoded, with the lines printed for people beside them here.
enum AdminAnswer {
    /// An RFC 9457 problem.
    struct Problem: Decodable {
        let type: String?
        let title: String
        let detail: String?
        let field: String?
        let errors: [String]?
    }

    /// Decodes an answer, or explains that it is not what the command reads.
    static func decode<Answer: Decodable>(_ type: Answer.Type, from body: Data) throws(AdminFailure) -> Answer {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            throw .unreadable("the admin API's answer is not what this command reads (\(error)); --json prints it as it came")
        }
    }

    /// The common name of a certificate subject (`CN=Security Administrator,OU=…`), else the subject as recorded.
    static func person(_ subject: String) -> String {
        DistinguishedName.commonName(ofText: subject)
    }

    /// `: "reason"`, or nothing for none.
    static func quoted(_ reason: String) -> String { reason.isEmpty ? "" : ": \"\(reason)\"" }

    /// Columns padded to their widest cell (the last left as it is), two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                column == row.count - 1 ? row[column] : row[column].padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n")
    }
}

extension ProposalView.Actor {
    /// The certificate's common name (`Security Administrator`), or the subject as recorded (`os-account=…`),
    /// with `(command line)` for a change made on the broker's host.
    var name: String { AdminAnswer.person(subject) + (via == "cli" ? " (command line)" : "") }
}

extension AdminPartnerView.Term {
    var text: String { "\(from)…\(to)" }
}

extension ProposalView.Change {
    /// As `contracts diff` prints a `ContractChange`.
    func line(partner: String) -> String { "\(partner) \(effect) \(what): \(old ?? "-") → \(new ?? "-")" }
}

extension ProposalView {
    /// `amend agency.nj_anxin to agency.nj_anxin@2026-12-05.1#…`, `retire agency.x`.
    var what: String {
        switch kind {
        case "retire": "retire \(partner)"
        case "onboard": "onboard \(partner) with \(contractVersion ?? "?")"
        default: "amend \(partner) to \(contractVersion ?? "?")"
        }
    }

    var text: String {
        var lines = ["proposal \(id): \(what) — \(status)"]
        if let term { lines.append("term       \(term.text)") }
        lines.append("effective  \(effectiveFrom.map { "from \($0)" } ?? "on approval")")
        lines.append("proposed   \(proposedAt) by \(proposer.name)\(AdminAnswer.quoted(reason))")
        if let decidedAt, let decider {
            lines.append("\(status.padding(toLength: 10, withPad: " ", startingAt: 0)) \(decidedAt) by \(decider.name)\(AdminAnswer.quoted(decisionReason ?? ""))")
        }
        if let versionID { lines.append("in force as contract version \(versionID)") }
        if kind == "retire", status == "proposed" {
            lines.append("once approved, every credential of \(partner) is refused for good")
        } else if let changes {
            lines.append("changes against the version in force:")
            lines += changes.map { "  " + $0.line(partner: partner) }
            lines.append("  " + ContractChange.summary(changes.count))
        }
        return lines.joined(separator: "\n")
    }
}

extension ProposalList {
    var text: String {
        guard !proposals.isEmpty else { return "no proposals" }
        return AdminAnswer.table(["ID", "PARTNER", "KIND", "STATUS", "VERSION", "PROPOSED", "BY"], proposals.map {
            ["\($0.id)", $0.partner, $0.kind, $0.status, $0.contractVersion ?? "-", $0.proposedAt, $0.proposer.name]
        })
    }
}

extension ApprovalView {
    var text: String {
        var lines = ["approved proposal \(proposal.id): \(proposal.what)"]
        lines.append(versionID.map { "contract version \($0), in effect from \(effectiveFrom)" } ?? "\(proposal.partner) retired from \(effectiveFrom)")
        if !madeStale.isEmpty {
            lines.append("made stale (proposed before this version): \(madeStale.map(String.init).joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

extension StatusView {
    var text: String {
        switch status {
        case "suspended": "\(partner) is suspended: every credential is refused from its next request\(AdminAnswer.quoted(reason))"
        case "active": "\(partner) is reinstated: its credentials are served again\(AdminAnswer.quoted(reason))"
        default: "\(partner) is \(status)\(AdminAnswer.quoted(reason))"
        }
    }
}

extension WhatIfView.Receipts {
    var text: String {
        guard let inForce, inForce != proposed else { return "receipts: \(proposed) (unchanged)" }
        return "receipts: \(inForce) → \(proposed) (every receipted answer from the change on)"
    }
}

extension WhatIfView {
    var text: String {
        let heading = "proposal \(proposal) against \(partner)'s metered decisions of the last \(days) day\(days == 1 ? "" : "s"): \(decisions) decision\(decisions == 1 ? "" : "s")"
        guard decisions > 0 else { return heading + "; nothing to replay\n" + receipts.text }
        var lines = [heading, ""]
        lines.append(AdminAnswer.table(["ITEM", "DECISIONS", "DISCLOSED→WITHHELD", "WITHHELD→DISCLOSED", "NEW REASONS"], items.map { item in
            [item.item, "\(item.decisions)", "\(item.disclosedToWithheld)", "\(item.withheldToDisclosed)",
             item.newReasons.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]
        }))
        let flips = items.reduce(0) { $0 + $1.disclosedToWithheld + $1.withheldToDisclosed }
        lines.append("")
        lines.append(flips == 0 ? "no decision would change" : "\(flips) decision\(flips == 1 ? "" : "s") would change; for example the requests")
        for item in items {
            if !item.examples.disclosedToWithheld.isEmpty {
                lines.append("  \(item.item) disclosed → withheld: \(item.examples.disclosedToWithheld.joined(separator: ", "))")
            }
            if !item.examples.withheldToDisclosed.isEmpty {
                lines.append("  \(item.item) withheld → disclosed: \(item.examples.withheldToDisclosed.joined(separator: ", "))")
            }
        }
        lines.append(receipts.text)
        lines.append("")
        lines.append(assumptions)
        return lines.joined(separator: "\n")
    }
}

extension HistoryView {
    func text(at: String?) -> String {
        var lines = ["\(partner): \(versions.count) contract version\(versions.count == 1 ? "" : "s")"]
        for version in versions {
            lines.append("")
            lines.append("version \(version.id)  \(version.contractVersion)  term \(version.term.text)\(version.id == inForceAt ? "  ← in force at \(at ?? "")" : "")")
            lines.append("  in effect from \(version.effectiveFrom) (activated \(version.activatedAt))")
            if let proposal = version.proposal {
                let proposer = version.proposer.map { AdminAnswer.person($0) + (version.proposerVia == "cli" ? " (command line)" : "") } ?? "?"
                lines.append("  proposal \(proposal) by \(proposer), approved by \(version.approver.map(AdminAnswer.person) ?? "?")\(version.approvedAt.map { " at \($0)" } ?? "")")
            } else {
                lines.append("  from \(version.source)")
            }
        }
        if let at, inForceAt == nil { lines += ["", "no version was in force at \(at)"] }
        if !statuses.isEmpty {
            lines += ["", "status changes:"]
            lines += statuses.map { "  \($0.at) \($0.status) by \(AdminAnswer.person($0.by))\(AdminAnswer.quoted($0.reason))" }
        }
        return lines.joined(separator: "\n")
    }
}

extension AdminPartnerView {
    var credentials: String {
        let certificates = authentication.certificates.count, keys = authentication.apiKeyIDs.count
        return [certificates > 0 ? "\(certificates) certificate\(certificates == 1 ? "" : "s")" : nil,
                keys > 0 ? "\(keys) API key\(keys == 1 ? "" : "s")" : nil].compactMap { $0 }.joined(separator: ", ").nonEmpty ?? "none"
    }
}

extension PartnerList {
    var text: String {
        AdminAnswer.table(["PARTNER", "KIND", "STATUS", "VERSION", "TERM", "CREDENTIALS", "LEGAL NAME"], partners.map {
            [$0.id, $0.kind, $0.status, $0.contractVersion, $0.term.text, $0.credentials, $0.legalName]
        })
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }

    var trimmingTrailingSpaces: String { String(reversed().drop { $0 == " " }.reversed()) }
}
