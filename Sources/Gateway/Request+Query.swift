import BrokerCore
import Hummingbird
import HummingbirdCore

extension Request {
    /// The `YYYY-MM-DD` query parameter `name`, or 400 naming it.
    func date(_ name: String) throws(Problem) -> CivilDate? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let date = CivilDate(text) else { throw .invalidRequest(name, "\(name) must be a date as YYYY-MM-DD.") }
        return date
    }

    /// The integer query parameter `name` within `range`, or 400 naming it.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
        try uri.integer(name, in: range)
    }

    /// The query parameter `name` as `true` or `false` (absent: false), or 400 naming it.
    func flag(_ name: String) throws(Problem) -> Bool {
        guard let value = uri.queryParameters.get(name), value != "false" else { return false }
        guard value == "true" else { throw .invalidRequest(name, "\(name) must be true or false.") }
        return true
    }
}

extension URI {
    /// The integer query parameter `name` within `range`, or 400 naming it.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
        guard let text = queryParameters.get(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidRequest(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound).")
        }
        return value
    }
}
