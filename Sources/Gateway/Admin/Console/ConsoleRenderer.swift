import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The console's templates, style sheet and script, compiled into the binary from
/// `Console/Resources` (Mustache escapes every `{{value}}` for HTML; only the server's own SVG is
/// inserted as `{{{svg}}}`).
enum ConsoleRenderer {
    /// Template name → its text.
    static let templates: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache, "error": PackageResources.error_mustache,
        "partners": PackageResources.partners_mustache, "partner": PackageResources.partner_mustache,
        "proposals": PackageResources.proposals_mustache, "proposal": PackageResources.proposal_mustache,
        "propose": PackageResources.propose_mustache, "keys": PackageResources.keys_mustache,
        "audit": PackageResources.audit_mustache, "usage": PackageResources.usage_mustache,
    ]

    /// The static files, by name under `/console/static/`, with their media types.
    static let assets: [String: (bytes: [UInt8], type: String)] = [
        "console.css": (PackageResources.console_css, "text/css; charset=utf-8"),
        "console.js": (PackageResources.console_js, "text/javascript; charset=utf-8"),
        // Served here so that a browser's own favicon request does not reach the audit chain as a 404.
        "icon.svg": (PackageResources.icon_svg, "image/svg+xml"),
    ]

    /// Every template parsed at first use; a template that does not parse is a defect of this
    /// repository, which `ConsoleTests` finds before a release.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in templates {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                fatalError("console template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    /// The page `template` with `values`, as HTML.
    static func render(_ template: String, _ values: [String: Any]) -> String {
        library.render(values, withTemplate: template) ?? ""
    }

    /// Headers of every console answer: no caching, no framing, no sniffing, no referrer to other sites, and a
    /// policy that lets the page load only this listener's style sheet and script and post only to it.
    static let securityHeaders: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy,
         "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        (.xContentTypeOptions, "nosniff"),
        // Not `no-referrer`: under it a browser sends `Origin: null` with a form's post, which the
        // same-origin check could not tell from another site's.
        (HTTPField.Name("Referrer-Policy")!, "same-origin"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Cross-Origin-Opener-Policy")!, "same-origin"),
        (HTTPField.Name("Cross-Origin-Resource-Policy")!, "same-origin"),
    ]

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}
