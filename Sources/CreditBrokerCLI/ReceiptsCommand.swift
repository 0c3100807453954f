import ArgumentParser
import Foundation
import Gateway

/// `credit-broker receipts verify FILE`: checks a disclosure receipt offline.
struct ReceiptsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "Disclosure receipts.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check that a saved response's Broker-Receipt is signed by the broker and matches its body.",
            discussion: """
                FILE is a response as 'curl -si' saves it: status line and headers (one of them \
                Broker-Receipt), a blank line, then the body exactly as received. Or FILE is the body alone \
                (a report saved with 'curl -o report.pdf') and --headers names the headers saved beside it \
                ('curl -D report.headers'). The receipt is Ed25519 or SM2 with SM3, as the partner's \
                contract chooses; the key file may hold both keys, as GET /v1/receipt-key serves them.
                """
        )

        @Argument(help: "The saved response, or the saved body with --headers.")
        var file: String

        @Option(help: ArgumentHelp("The response's headers, saved beside a body-only FILE ('curl -D').", valueName: "file"))
        var headers: String?

        @Option(help: ArgumentHelp("The broker's receipt public keys, PEM (GET /v1/receipt-key): Ed25519, SM2 or both.", valueName: "pem"))
        var key: String

        func run() async throws {
            let saved = try Self.read(file)
            let token: String?
            let body: Data
            if let headers {
                token = SavedResponse(try Self.read(headers)).header(Receipt.headerName)
                body = saved
                guard token != nil else { throw ValidationError("\(headers): no '\(Receipt.headerName):' header") }
            } else {
                let response = SavedResponse(saved)
                token = response.header(Receipt.headerName)
                body = response.body
                guard token != nil else {
                    throw ValidationError(
                        "\(file): no '\(Receipt.headerName):' header before the first blank line (a body saved alone needs --headers)"
                    )
                }
            }
            do {
                let verifier = try ReceiptVerifier(publicKeyPEM: InputFile.text(key))
                let receipt = try verifier.verify(token: token ?? "", body: body)
                let suite = ReceiptVerifier.suite(of: token ?? "")?.rawValue ?? "?"
                print("""
                    \(receipt.kind.map { "\($0) " } ?? "")receipt OK (\(suite)): request \(receipt.requestID), partner \(receipt.partnerID), issued \(receipt.issuedAt)
                      contract \(receipt.contractVersion), consent \(receipt.consentID ?? "none")
                      items disclosed: \(receipt.itemsDisclosed.isEmpty ? "none" : receipt.itemsDisclosed.joined(separator: ", "))
                    """)
            } catch let failure as ReceiptVerifier.Failure {
                print("receipt INVALID: \(failure)")
                throw ExitCode.failure
            }
        }

        private static func read(_ path: String) throws -> Data {
            try InputFile.data(path)
        }
    }
}
