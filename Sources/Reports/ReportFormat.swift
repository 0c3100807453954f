/// The representations of a report, chosen by `Accept`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case html
    case pdf
    case json

    /// The media type each is served as, in the order the broker prefers them when the client
    /// likes several equally.
    public var mediaType: String {
        switch self {
        case .html: "text/html"
        case .pdf: "application/pdf"
        case .json: "application/json"
        }
    }

    /// The `Content-Type` of an answer in this format.
    public var contentType: String { self == .html ? "text/html; charset=utf-8" : mediaType }

    /// The file name extension.
    public var fileExtension: String { rawValue }

    /// The format `Accept` (RFC 9110 §12.5.1) prefers: each format gets the q-value of the most
    /// specific media range that matches it (`text/html` before `text/*` before `*/*`), and the
    /// highest wins, ties going to the earlier of `allCases`. HTML when there is no `Accept` header;
    /// nil when none of the three is acceptable (406).
    public static func negotiate(accept: String?) -> ReportFormat? {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return .html }
        var ranges: [(type: String, subtype: String, q: Double)] = []
        for element in accept.split(separator: ",") {
            let parameters = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            let parts = (parameters.first ?? "").split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { continue }
            let q = parameters.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            ranges.append((String(parts[0]), String(parts[1]), min(max(q, 0), 1)))
        }
        var best: (format: ReportFormat, q: Double)?
        for format in allCases {
            let parts = format.mediaType.split(separator: "/").map(String.init)
            // Specificity: 2 for type/subtype, 1 for type/*, 0 for */*.
            let matching = ranges.compactMap { range -> (specificity: Int, q: Double)? in
                switch (range.type, range.subtype) {
                case (parts[0], parts[1]): (2, range.q)
                case (parts[0], "*"): (1, range.q)
                case ("*", "*"): (0, range.q)
                default: nil
                }
            }
            guard let q = matching.max(by: { $0.specificity < $1.specificity })?.q, q > 0 else { continue }
            if q > best?.q ?? 0 { best = (format, q) }
        }
        return best?.format
    }
}
