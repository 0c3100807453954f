import ArgumentParser
import BrokerCore
import Foundation
import Reports

/// `credit-broker report render`: a saved JSON answer as a credit report, offline.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Credit reports (信用报告).",
        subcommands: [Render.self]
    )

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "render",
            abstract: "Render a saved JSON answer as a credit report in HTML or PDF, offline.",
            discussion: """
                FILE is a report's JSON (POST /v1/reports with 'Accept: application/json') or a query's \
                answer (POST /v1/queries), as saved by 'curl -o' or, with its headers, 'curl -si'. A query \
                answer carries no subject identifier, score or query history; the report says so where they \
                would be. The report's footer says it was rendered offline: the receipt that came with the \
                answer covers the JSON, not this file.
                """
        )

        @Argument(help: "The saved answer.")
        var file: String

        @Option(help: ArgumentHelp("Where to write the report (a .pdf or .html file).", valueName: "path"))
        var out: String

        @Option(help: ArgumentHelp("html or pdf; by default from --out's extension.", valueName: "format"))
        var format: String?

        @Option(help: ArgumentHelp("zh (the default) or en.", valueName: "language"))
        var lang = "zh"

        @OptionGroup var policies: ContractsOptions
        @OptionGroup var renderer: RendererOptions

        func validate() throws {
            guard ReportLanguage(rawValue: lang) != nil else { throw ValidationError("--lang must be zh or en, not \(lang)") }
            guard let chosen = resolvedFormat else {
                throw ValidationError("give --format html or pdf, or an --out file ending in .html or .pdf")
            }
            guard chosen != .json else { throw ValidationError("--format must be html or pdf: the answer is the JSON") }
        }

        var resolvedFormat: ReportFormat? {
            if let format { return ReportFormat(rawValue: format) }
            switch URL(filePath: out).pathExtension.lowercased() {
            case "pdf": return .pdf
            case "html", "htm": return .html
            default: return nil
            }
        }

        func run() async throws {
            let bundle = try policies.load()
            let saved = try InputFile.data(file)
            let document: ReportDocument
            do {
                document = try ReportDocument.read(json: SavedResponse(saved).body, catalog: bundle.catalog)
            } catch {
                throw ValidationError("\(file): \(error)")
            }
            let page = ReportPage(catalog: bundle.catalog, purposes: bundle.purposes)
            let html = page.html(document, language: ReportLanguage(rawValue: lang) ?? .zh, offline: true)
            let bytes: [UInt8]
            switch resolvedFormat {
            case .pdf?:
                let pdf = PDFRenderer(renderer.configuration)
                do {
                    bytes = try await pdf.render(html: html)
                    await pdf.close()
                } catch {
                    await pdf.close()
                    throw ValidationError("\(error)")
                }
            default:
                bytes = Array(html.utf8)
            }
            do {
                try Data(bytes).write(to: URL(filePath: out))
            } catch {
                throw ValidationError("cannot write \(out): \(error.localizedDescription)")
            }
            print("\(out): \(document.subject.kind == .person ? "person" : "organisation") report, request \(document.requestID), \(bytes.count) bytes")
        }
    }
}
