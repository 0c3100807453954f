import ArgumentParser
import Foundation
import Reports

/// The PDF renderer of credit reports: `serve`, `demo` and `report render`.
struct RendererOptions: ParsableArguments {
    @Option(name: .customLong("pdf-renderer"), help: ArgumentHelp(
        "The program that prints reports to PDF: chromium (Debian's package, found on PATH), or the path of a program called with Chromium's arguments that speaks its DevTools protocol on descriptors 3 and 4 (env CREDIT_BROKER_PDF_RENDERER).",
        valueName: "program"
    ))
    var program: String?

    @Option(name: .customLong("pdf-renderers"), help: ArgumentHelp("The most PDF renders at once, and the browsers kept running for them (default 2).", valueName: "count"))
    var concurrency: Int?

    @Option(name: .customLong("pdf-timeout"), help: ArgumentHelp(
        "Seconds a PDF render may take, waiting for its turn included; then 503 (default 30).", valueName: "seconds"
    ))
    var timeout: Int?

    @Flag(name: .customLong("pdf-no-sandbox"), help: ArgumentHelp(
        "Run Chromium without its own sandbox (env CREDIT_BROKER_PDF_NO_SANDBOX=1): where it cannot start, as under the shipped systemd unit (NoNewPrivileges, RestrictNamespaces), whose confinement then holds the browser. As root it never runs sandboxed."
    ))
    var noSandbox = false

    func validate() throws {
        if let concurrency, !(1...64).contains(concurrency) {
            throw ValidationError("--pdf-renderers must be from 1 to 64, not \(concurrency)")
        }
        if let timeout, !(1...600).contains(timeout) {
            throw ValidationError("--pdf-timeout must be from 1 to 600 seconds, not \(timeout)")
        }
    }

    var configuration: PDFRenderer.Configuration {
        var configuration = PDFRenderer.Configuration()
        if let program = program ?? ProcessInfo.processInfo.environment["CREDIT_BROKER_PDF_RENDERER"], !program.isEmpty {
            configuration.program = program
        }
        if let concurrency { configuration.concurrency = concurrency }
        if let timeout { configuration.timeout = .seconds(timeout) }
        configuration.sandbox = !(noSandbox || ProcessInfo.processInfo.environment["CREDIT_BROKER_PDF_NO_SANDBOX"] == "1")
        return configuration
    }
}
