import ArgumentParser
import BrokerCore

/// `credit-broker ids check CODE...`: validates identifiers and says why a bad one fails.
struct IDsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate unified social credit codes and resident ID numbers.",
        discussion: """
            Each CODE is recognised by its shape: 17 digits and a digit or X starting with a province \
            code is read as a resident ID number (a USCC if it is not one), anything else as a unified \
            social credit code. Prints `CODE valid` or `CODE invalid: REASON` per code, checking \
            alphabet, division code, birth date (not after today in China Standard Time) and check \
            characters. Lower-case letters are accepted. Exits with status 1 if any code is invalid.
            """
    )

    @Argument(help: "The codes to check.")
    var codes: [String]

    func run() throws {
        var allValid = true
        for code in codes {
            do {
                _ = try SubjectIdentifier(code)
                print("\(code) valid")
            } catch {
                allValid = false
                print("\(code) invalid: \(error)")
            }
        }
        if !allValid { throw ExitCode.failure }
    }
}
