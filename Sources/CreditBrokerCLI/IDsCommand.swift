import ArgumentParser

/// `credit-broker ids`: tools for unified social credit codes and resident ID numbers.
struct IDsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ids",
        abstract: "Work with unified social credit codes (GB 32100) and resident ID numbers (GB 11643).",
        subcommands: [IDsCheckCommand.self]
    )
}
