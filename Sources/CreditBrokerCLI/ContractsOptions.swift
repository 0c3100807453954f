import ArgumentParser
import BrokerCore
import Foundation

/// Where the catalog and policy files are, and how files are read, for the `contracts` subcommands.
struct ContractsOptions: ParsableArguments {
    @Option(help: "The data catalog.")
    var catalog = "Policies/catalog.yaml"

    @Option(help: "The directory holding masking.yaml, purposes.yaml and partner-defaults.yaml.")
    var policies = "Policies"

    /// Reads and parses the four policy files.
    func load() throws -> PolicyBundle {
        func file(_ path: String, option: String) throws -> (file: String, text: String) {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ValidationError("cannot read \(path): give \(option), or run in the repository folder (the default is relative to it)")
            }
            return (path, try InputFile.text(path))
        }
        let directory = URL(filePath: policies)
        return try PolicyBundle(
            catalog: file(catalog, option: "--catalog"),
            masking: file(directory.appending(path: "masking.yaml").relativePath, option: "--policies"),
            purposes: file(directory.appending(path: "purposes.yaml").relativePath, option: "--policies"),
            defaults: file(directory.appending(path: "partner-defaults.yaml").relativePath, option: "--policies")
        )
    }

    /// Reads every `.yaml` file of a directory (recursively), or the one file `path` names.
    static func contractFiles(at path: String) throws -> [(name: String, text: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("no such file or directory: \(path)")
        }
        guard isDirectory.boolValue else { return [(path, try InputFile.text(path))] }
        // Contracts are the folder's own YAML files; subfolders hold other documents (api/openapi.yaml).
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        return try names.map { name in
            let full = URL(filePath: path).appending(path: name).relativePath
            return (full, try InputFile.text(full))
        }
    }

    /// Prints every diagnostic of `error` to standard error.
    static func report(_ error: PolicyError) {
        for diagnostic in error.diagnostics {
            FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
        }
    }
}
