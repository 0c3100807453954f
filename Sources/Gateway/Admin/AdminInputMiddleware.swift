import BrokerCore
import Hummingbird
import HummingbirdCore

/// Refuses, with a 400 naming the parameter, any admin request whose query could not be stored
/// exactly in the audit chain or is not what the API takes: a name the route does not know, a
/// value with a control character (PostgreSQL text ends at NUL, so `partner=x%00y` would be stored
/// as `x` while the chain hashed `x\0y`), an over-long value, or a `partner` that is not a partner
/// id. Runs inside the audit middleware, so the refusal is itself recorded (without the value).
struct AdminInputMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    /// The query parameters the admin API takes (`Contracts/api/admin-openapi.yaml`).
    static let parameters: Set<Substring> = [
        "partner", "from", "to", "since", "limit", "status", "effective_from", "reason", "days", "at", "before", "actor", "action", "verify",
        "source", "month", "format",
    ]
    /// Longest query parameter value taken (`reason`: 500 characters of up to 4 bytes).
    static let maximumValue = 100
    static let maximumReason = 2_000

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if ConsoleMiddleware.owns(request.uri.path) {
            try Self.check(request.uri, parameters: ConsoleMiddleware.parameters, emptyAllowed: true)
        } else {
            try Self.check(request.uri)
        }
        return try await next(request, context)
    }

    /// - Parameter emptyAllowed: an empty value stands for none (the console's forms send every field).
    static func check(_ uri: URI, parameters: Set<Substring> = parameters, emptyAllowed: Bool = false) throws(Problem) {
        for (name, value) in uri.queryParameters {
            guard parameters.contains(name) else {
                throw .invalidRequest("query", "The admin API takes only the query parameters \(parameters.sorted().joined(separator: ", ")).")
            }
            let maximum = name == "reason" ? maximumReason : maximumValue
            guard value.utf8.count <= maximum else {
                throw .invalidRequest(String(name), "\(name) is longer than \(maximum) bytes.")
            }
            guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw .invalidRequest(String(name), "\(name) contains a control character (NUL, tab, line break, …), which no admin parameter takes.")
            }
            if name == "partner", !(emptyAllowed && value.isEmpty), !Contract.isValidPartnerID(value) {
                throw .invalidRequest(
                    "partner", "partner must be a partner id: lowercase letters, digits, '.', '_' or '-', starting with a letter, at most 64 long."
                )
            }
        }
    }
}
