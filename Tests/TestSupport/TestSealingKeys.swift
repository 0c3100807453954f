import Foundation
import BrokerStore

/// Sealing keys for tests: fresh random keys under the ids given, the last one sealing.
public enum TestSealingKeys {
    public static func fresh(_ ids: String...) throws -> SealingKeys {
        SealingKeys(try keyring(ids.isEmpty ? ["test"] : ids))
    }

    /// A keyring of fresh keys named `ids`, in that order, as key file text reads.
    public static func keyring(_ ids: [String]) throws -> SealingKeyring {
        try SealingKeyring(text: try ids.map { try SealingKeyring.newKeyFileText(id: $0) }.joined(), origin: "test keys")
    }
}

extension TestSealingKeys {
    /// A key file (mode 0600) of one fresh key in a new temporary folder, for processes that must
    /// hold the same keys (`CREDIT_BROKER_SEALING_KEYS`); its path.
    public static func file() throws -> String {
        let path = TestPostgres.temporaryFolder() + "/sealing-keys"
        guard FileManager.default.createFile(atPath: path, contents: Data(try SealingKeyring.newKeyFileText(id: "k1").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TestSupportFailure("cannot write \(path)")
        }
        return path
    }
}

/// A test helper's own failure: what it could not do.
public struct TestSupportFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
