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
                Broker-Receipt), a blank line, then the body exactly as received. The receipt is \
                Ed25519 or SM2 with SM3, as the partner's contract chooses; the key file may hold \
                both keys, as GET /v1/receipt-key serves them.
                """
        )

        @Argument(help: "The saved response.")
        var file: String

        @Option(help: ArgumentHelp("The broker's receipt public keys, PEM (GET /v1/receipt-key): Ed25519, SM2 or both.", valueName: "pem"))
        var key: String

        func run() async throws {
            let response = try Data(contentsOf: URL(filePath: file))
            guard let parts = Self.split(response) else {
                throw ValidationError("\(file): no '\(Receipt.headerName):' header before the first blank line")
            }
            do {
                let verifier = try ReceiptVerifier(publicKeyPEM: String(contentsOfFile: key, encoding: .utf8))
                let receipt = try verifier.verify(token: parts.token, body: parts.body)
                let suite = ReceiptVerifier.suite(of: parts.token)?.rawValue ?? "?"
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

        /// The receipt header's value and the body after the first blank line (CRLF or LF).
        static func split(_ response: Data) -> (token: String, body: Data)? {
            let bytes = [UInt8](response)
            var lineStart = 0
            var token: String?
            var index = 0
            while index < bytes.count {
                guard bytes[index] == 0x0a else { index += 1; continue }
                var line = String(decoding: bytes[lineStart..<index], as: UTF8.self)
                if line.hasSuffix("\r") { line.removeLast() }
                index += 1
                if line.isEmpty { return token.map { ($0, Data(bytes[index...])) } }
                let parts = line.split(separator: ":", maxSplits: 1)
                if parts.count == 2, parts[0].lowercased() == Receipt.headerName.lowercased() {
                    token = parts[1].trimmingCharacters(in: .whitespaces)
                }
                lineStart = index
            }
            return nil
        }
    }
}
