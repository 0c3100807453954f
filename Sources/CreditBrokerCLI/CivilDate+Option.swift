import ArgumentParser
import BrokerCore

extension CivilDate {
    /// The day a `YYYY-MM-DD` command-line option names, or an error naming the option.
    static func option(_ text: String, name: String) throws -> CivilDate {
        guard let day = CivilDate(text) else { throw ValidationError("--\(name) '\(text)' is not a date YYYY-MM-DD") }
        return day
    }
}
