import ArgumentParser
import BrokerCore
import BrokerStore
import Foundation
import Gateway
import PKI
import PostgresClient
import X509

/// The demo's partner credentials under the state folder, made on first run and reused after: a
/// development PKI (`pki/`: CA, server certificate, a client certificate per bank and for the
/// joint-credit company) and an API key per credit agency (`agency-api-keys.tsv`, mode 0600).
struct DemoPartners {
    let pki: DevelopmentPKI
    /// Agency partner id → bearer token.
    let agencyKeys: [String: String]

    static func prepare(state: URL, contracts: [Contract], pool: PostgresPool) async throws -> DemoPartners {
        let pki = DevelopmentPKI(folder: state.appending(path: "pki"))
        if !FileManager.default.fileExists(atPath: pki.caURL.path) {
            _ = try pki.create(partners: DevelopmentPKI.mutualTLSPartners(of: contracts))
        } else if !FileManager.default.fileExists(atPath: pki.adminCAURL.path) {
            try pki.createAdmins()
        } else {
            try pki.createAdminRevocationList()
        }
        let keysFile = state.appending(path: "agency-api-keys.tsv")
        if let text = try? String(contentsOf: keysFile, encoding: .utf8) {
            let pairs = text.split(separator: "\n").compactMap { line -> (String, String)? in
                let parts = line.split(separator: "\t")
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
            return DemoPartners(pki: pki, agencyKeys: Dictionary(pairs, uniquingKeysWith: { _, last in last }))
        }
        var keys: [String: String] = [:]
        let audit = AdminAuditLog(pool: pool)
        for contract in contracts where contract.kind == .creditAgency {
            keys[contract.partnerID] = try await audit.recording({ connection in
                try await ApiKeyStore.issue(partnerID: contract.partnerID, expiresAt: nil, on: connection)
            }, entry: { issued in
                .commandLine("demo", partner: contract.partnerID, status: 201, detail: "issued \(issued.record.keyID) for the demo")
            }).token
        }
        let text = keys.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        guard FileManager.default.createFile(atPath: keysFile.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(keysFile.path)")
        }
        return DemoPartners(pki: pki, agencyKeys: keys)
    }

    /// Warns when the database's contract for `bank` does not bind the certificate this PKI issued it
    /// (a state folder whose database was seeded before the demo pinned its own certificates).
    func checkBinding(of bank: String, in snapshot: ContractSnapshot, state: String) {
        guard let contract = snapshot.contracts[bank],
              let pem = try? String(contentsOf: pki.clientCertificateURL(bank), encoding: .utf8),
              let certificate = try? Certificate(pemEncoded: pem)
        else { return }
        let fingerprint = CertificateFingerprint(certificate).hex
        guard !contract.authentication.certificates.contains(where: { $0.sha256 == fingerprint }) else { return }
        FileHandle.standardError.write(Data("""
            warning: \(bank)'s contract in this database does not bind the demo's certificate for it (the database was \
            seeded before the demo pinned its own certificates); the bank examples will be refused. Remove \(state) to start afresh.

            """.utf8))
    }

    /// A copy-paste `curl` against the demo's admin listener, as the security administrator.
    func adminExample(port: Int) -> String {
        """
        The admin API is on https://localhost:\(port)/admin/v1 (mutual TLS, admin certificates in \(pki.folder.path)/admins/).
        The admin console, for a browser holding an admin certificate: https://localhost:\(port)/console
        Every partner's contract and credentials, as the security administrator:
          curl -s --cacert \(pki.caURL.path) --cert \(pki.adminCertificateURL(.security).path) \\
            --key \(pki.adminKeyURL(.security).path) https://localhost:\(port)/admin/v1/partners

        """
    }

    /// The credit portal's examples: who queried the company, its records and a dispute on one, its
    /// consents, one withdrawn and its receipt verified; the data source's dispute feed.
    private func portalExamples(base: String, cacert: String, portal: String, dataSource: String?, company: String) -> String {
        let tls = "\(cacert) --cert \(pki.clientCertificateURL(portal).path) --key \(pki.clientKeyURL(portal).path) -H 'Content-Type: application/json'"
        let subject = #"{"subject":"\#(company)"}"#
        var text = """

            The province's credit portal (\(portal)) acts for one subject at a time, named in the body, never
            in the URL. Who queried the company, newest first (the queries above included; this call too,
            next time):
              curl -s \(tls) -d '{"subject":"\(company)","limit":10}' \(base)/v1/portal/disclosures

            Its records with their keys, then a dispute (异议) on the first: from now on every answer that
            discloses the record marks it "disputed", with the dispute's id, filing day and deadline (20 days):
              RECORD=$(curl -s \(tls) -d '\(subject)' \(base)/v1/portal/records \\
                | grep -o '"source":"[^"]*","source_record_id":"[^"]*"' | head -1); echo "$RECORD"
              curl -s \(tls) \\
                -d '{"subject":"\(company)","record":{'"$RECORD"'},"reason":"该处罚已于复议中撤销","statement":"处罚决定已被撤销，见复议决定书","keep_statement":true}' \\
                \(base)/v1/portal/disputes

            The consents about the company, whichever partner holds them (the bank's, above, in CONSENT);
            the subject withdraws it (the bank's next query goes without it, its alerts say consent_revoked)
            and keeps the signed consent receipt, which verifies offline:
              curl -s \(tls) -d '\(subject)' \(base)/v1/portal/consents/search
              curl -s \(tls) -d '\(subject)' \(base)/v1/portal/consents/$CONSENT/revoke
              R=$(mktemp -d); curl -si \(tls) -d '\(subject)' \(base)/v1/portal/consents/$CONSENT/receipt > $R/consent.http
              curl -s \(cacert) \(base)/v1/receipt-key > $R/receipt-key.pem
              \(Self.executable) receipts verify $R/consent.http --key $R/receipt-key.pem

            """
        if let dataSource {
            text += """

                The data source's dispute feed (\(dataSource)): open disputes with their deadlines, answered by its
                next feed line for the record, or through the admin API (POST /admin/v1/disputes/{id}/resolve):
                  curl -s \(cacert) --cert \(pki.clientCertificateURL(dataSource).path) --key \(pki.clientKeyURL(dataSource).path) \\
                    '\(base)/v1/disputes?limit=20'

                """
        }
        return text
    }

    /// This `credit-broker` binary, for commands the examples run (it is not on `PATH` after `swift run`).
    private static var executable: String { Bundle.main.executablePath ?? "credit-broker" }

    /// Copy-paste `curl` commands against the running demo.
    func examples(
        port: Int, bank: String, agency: String, jointCredit: String?, sm2Bank: String?, company: String, portal: String? = nil,
        dataSource: String? = nil
    ) -> String {
        let base = "https://localhost:\(port)"
        let cacert = "--cacert \(pki.caURL.path)"
        let bankTLS = "\(cacert) --cert \(pki.clientCertificateURL(bank).path) --key \(pki.clientKeyURL(bank).path)"
        let token = agencyKeys[agency] ?? "<key>"
        var text = """
            A bank's query over mutual TLS (\(bank)):
              curl -s \(bankTLS) \\
                -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-\(company)' \\
                -d '{"subject":"\(company)","purpose":"credit_approval","items":["enterprise.registration","enterprise.penalty","enterprise.dishonest_debtor","market.tax_paid"]}' \\
                \(base)/v1/queries

            A consent on file for that company (its id kept in CONSENT), then a query naming it in
            consent_id: market.tax_paid, withheld above for want of a consent, is disclosed:
              CONSENT=$(curl -s \(bankTLS) \\
                -H 'Content-Type: application/json' \\
                -d '{"subject":"\(company)","purposes":["credit_approval"],"categories":["tax"],"valid_from":"\(CivilDate.today())","valid_to":"\(CivilDate.today().adding(days: 90))","use_limit":3,"document_digest":"\(String(repeating: "ab", count: 32))"}' \\
                \(base)/v1/consents | grep -o 'cs_[0-9a-f]*' | head -1); echo "$CONSENT"
              curl -s \(bankTLS) \\
                -H 'Content-Type: application/json' \\
                -d '{"subject":"\(company)","purpose":"credit_approval","items":["market.tax_paid"],"consent_id":"'"$CONSENT"'"}' \\
                \(base)/v1/queries

            The bank's credit report on that company (信用报告), saved as a PDF with its headers beside it,
            and its receipt checked against the saved file (Accept: text/html for the page, and
            Accept-Language: en for English):
              R=$(mktemp -d); curl -s \(bankTLS) \\
                -H 'Content-Type: application/json' -H 'Accept: application/pdf' \\
                -d '{"subject":"\(company)","purpose":"credit_approval"}' \\
                -D $R/report.headers -o $R/report.pdf \(base)/v1/reports
              curl -s \(cacert) \(base)/v1/receipt-key > $R/receipt-key.pem
              \(Self.executable) receipts verify $R/report.pdf --headers $R/report.headers --key $R/receipt-key.pem
              echo "report: $R/report.pdf"

            An agency's query with its rate-limit headers and Broker-Receipt (\(agency), API key in agency-api-keys.tsv):
              curl -si \(cacert) -H 'Authorization: Bearer \(token)' \\
                -H 'Content-Type: application/json' \\
                -d '{"subject":"\(company)","purpose":"credit_report","items":["enterprise.registration","enterprise.penalty"]}' \\
                \(base)/v1/queries

            """
        if let jointCredit {
            text += """

                The joint-credit company's change feed (\(jointCredit)):
                  curl -s \(cacert) --cert \(pki.clientCertificateURL(jointCredit).path) --key \(pki.clientKeyURL(jointCredit).path) \\
                    '\(base)/v1/changes?limit=5'

                """
        }
        if let sm2Bank {
            text += """

                A bank whose contract says 'receipts: sm2-sm3' (\(sm2Bank)) gets receipts signed with SM2 over SM3;
                checked offline here, and with openssl as the README's "Receipts in either suite" shows:
                  R=$(mktemp -d)
                  curl -si \(cacert) --cert \(pki.clientCertificateURL(sm2Bank).path) --key \(pki.clientKeyURL(sm2Bank).path) \\
                    -H 'Content-Type: application/json' \\
                    -d '{"subject":"\(company)","purpose":"credit_approval","items":["enterprise.registration"]}' \\
                    \(base)/v1/queries > $R/answer.http
                  curl -s \(cacert) '\(base)/v1/receipt-key?suite=sm2-sm3' > $R/receipt-key-sm2.pem
                  \(Self.executable) receipts verify $R/answer.http --key $R/receipt-key-sm2.pem

                """
        }
        if let portal {
            text += portalExamples(base: base, cacert: cacert, portal: portal, dataSource: dataSource, company: company)
        }
        text += """

            Verify a receipt offline, in a folder of its own: R=$(mktemp -d), save an answer with its
            headers there (the agency's query above, with '> $R/answer.http' added), then
              curl -s \(cacert) \(base)/v1/receipt-key > $R/receipt-key.pem
              \(Self.executable) receipts verify $R/answer.http --key $R/receipt-key.pem
            Metrics (the operations listener, for the platform's monitoring, never for partners): curl -s http://127.0.0.1:\(port + 2)/metrics
            """
        return text
    }
}
