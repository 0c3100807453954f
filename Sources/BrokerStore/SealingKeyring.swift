import Foundation
import GMCrypto

/// The keys that seal personal free text the broker must keep in recoverable form (the subject's
/// words in a dispute): SM4-CTR with HMAC-SM3, encrypt-then-MAC (`SM4CTR.seal`), each key under an
/// id that is stored beside every value it sealed.
///
/// Keys are listed oldest first; the last one seals, every one opens. So a key is rotated without
/// downtime by adding a new last line (gateways re-read their keys on SIGHUP) and running
/// `credit-broker reseal`, after which the old line may go. Written as text, one key a
/// line: `KEY_ID BASE64`, the base64 of 48 random bytes (`openssl rand -base64 48`: the SM4 key,
/// then the HMAC-SM3 key); blank lines and lines starting with `#` are skipped. What a key file holds
/// and what a key command prints are read alike.
public struct SealingKeyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        let key: SM4SealingKey
    }

    /// A keyring that cannot be read, or a value that cannot be sealed or opened: where and why,
    /// never a key or a value.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// As listed, oldest first.
    public let keys: [Key]

    /// The key that seals: the last one listed.
    public var sealingKeyID: String { keys[keys.count - 1].id }

    /// A key id: a letter or digit, then up to 31 letters, digits, `.`, `_` or `-`.
    public static func isValidKeyID(_ id: some StringProtocol) -> Bool {
        guard let first = id.unicodeScalars.first, id.unicodeScalars.count <= 32, first.isASCIIAlphanumeric else { return false }
        return id.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || $0 == "." || $0 == "_" || $0 == "-" }
    }

    /// The keys of `text`; `origin` (a file's path, "the sealing key command's output") names where
    /// a line that is refused was read, as `origin:line: why`.
    public init(text: String, origin: String) throws(Failure) {
        var keys: [Key] = []
        var lines: [String: Int] = [:]
        // Lines end with LF or CRLF: "\r\n" is one Character, which a split at "\n" did not cut. A byte
        // order mark opening the file (an editor's "UTF-8 with BOM") is no part of its first line.
        var text = Substring(text)
        if text.unicodeScalars.first == "\u{FEFF}" { text = Substring(text.unicodeScalars.dropFirst()) }
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let number = index + 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2 else {
                throw Failure("\(origin):\(number): a key line is 'KEY_ID BASE64_KEY' (two words; this line has \(words.count))")
            }
            let id = String(words[0])
            guard Self.isValidKeyID(id) else {
                throw Failure("\(origin):\(number): a key id is a letter or digit, then up to 31 letters, digits, '.', '_' or '-'")
            }
            if let earlier = lines[id] { throw Failure("\(origin):\(number): the key id '\(id)' is listed already (line \(earlier))") }
            guard let bytes = Data(base64Encoded: String(words[1])) else {
                throw Failure("\(origin):\(number): the key of '\(id)' is not base64")
            }
            guard bytes.count == SM4SealingKey.byteCount else {
                throw Failure(
                    "\(origin):\(number): the key of '\(id)' is \(bytes.count) bytes; a sealing key is \(SM4SealingKey.byteCount) (openssl rand -base64 48)"
                )
            }
            let key: SM4SealingKey
            do {
                key = try SM4SealingKey(bytes: Array(bytes))
            } catch {
                throw Failure("\(origin):\(number): the key of '\(id)': \(error)")
            }
            if let same = keys.first(where: { $0.key.isSame(as: key) }) {
                throw Failure("\(origin):\(number): the key of '\(id)' is the key of '\(same.id)' (line \(lines[same.id] ?? 0)): a new key must be new")
            }
            lines[id] = number
            keys.append(Key(id: id, key: key))
        }
        guard !keys.isEmpty else {
            throw Failure("\(origin): no sealing key (one a line, 'KEY_ID BASE64_KEY', the last one seals)")
        }
        self.keys = keys
    }

    /// The text of a new keyring of one fresh key named `id`, as a key file holds it.
    public static func newKeyFileText(id: String) throws -> String {
        precondition(isValidKeyID(id), "\(id) is not a key id")
        let key = try SM4SealingKey.generate()
        return """
            # Sealing keys (SM4-CTR with HMAC-SM3) for the personal free text the broker keeps: one a line,
            # 'KEY_ID BASE64' (48 random bytes: openssl rand -base64 48), oldest first; the last one seals,
            # every one opens. Never remove a key while a value is sealed under it ('credit-broker reseal').
            \(id) \(Data(key.bytes).base64EncodedString())

            """
    }

    public func key(_ id: String) -> SM4SealingKey? {
        keys.first { $0.id == id }?.key
    }

    /// `text` sealed under the sealing key, bound to `field` (a value moved to another row or column does not open).
    public func seal(_ text: String, as field: SealedField) throws(Failure) -> SealedValue {
        try seal(bytes: Array(text.utf8), as: field)
    }

    /// `bytes` sealed under the sealing key, bound to `field`: for what must come back byte for
    /// byte and need not be text (a response body kept for a retry).
    public func seal(bytes: [UInt8], as field: SealedField) throws(Failure) -> SealedValue {
        let keyID = sealingKeyID
        do {
            return SealedValue(keyID: keyID, bytes: try SM4CTR.seal(bytes, using: keys[keys.count - 1].key, authenticating: field.context(keyID)))
        } catch {
            throw Failure("\(field): cannot seal: \(error)")
        }
    }

    /// The text `value` holds, if it is `field`'s value sealed under one of these keys and unaltered.
    public func open(_ value: SealedValue, as field: SealedField) throws(Failure) -> String {
        guard let text = String(validating: try openBytes(value, as: field), as: UTF8.self) else {
            throw Failure("\(field) opens to bytes that are not UTF-8")
        }
        return text
    }

    /// `stored` as written: opened if `keyID` names the key that sealed it, as it is when `nil` (a
    /// value written before its column was sealed, clear until `credit-broker reseal`).
    public func openBytes(_ stored: [UInt8], sealedUnder keyID: String?, as field: SealedField) throws(Failure) -> [UInt8] {
        guard let keyID else { return stored }
        return try openBytes(SealedValue(keyID: keyID, bytes: stored), as: field)
    }

    /// The bytes `value` holds, if it is `field`'s value sealed under one of these keys and unaltered.
    public func openBytes(_ value: SealedValue, as field: SealedField) throws(Failure) -> [UInt8] {
        guard let key = key(value.keyID) else {
            throw Failure("\(field) is sealed under the key '\(value.keyID)', which the configured sealing keys lack")
        }
        do {
            return try SM4CTR.open(value.bytes, using: key, authenticating: field.context(value.keyID))
        } catch let error where error.kind == .authenticationFailure {
            throw Failure("\(field) does not open under the key '\(value.keyID)': it was altered, or belongs to another row or column")
        } catch {
            throw Failure("\(field): \(error)")
        }
    }
}

/// Where a sealed value belongs: its table, column and row. Bound into the value's tag with the key
/// id, so a value copied to another row or column, or relabelled with another key id, does not open.
public struct SealedField: Sendable, Hashable, CustomStringConvertible {
    public let table: String
    public let column: String
    /// The row's key, e.g. a dispute id.
    public let row: String

    public init(table: String, column: String, row: String) {
        self.table = table
        self.column = column
        self.row = row
    }

    /// `table.column of row`: names the value in an error, never shows it.
    public var description: String { "\(table).\(column) of \(row)" }

    func context(_ keyID: String) -> [UInt8] {
        Array("\(table).\(column)\u{0}\(row)\u{0}\(keyID)".utf8)
    }
}

/// A sealed value and the id of the key that sealed it (stored beside it).
public struct SealedValue: Sendable, Hashable {
    public let keyID: String
    /// `nonce ‖ ciphertext ‖ tag` (`SM4CTR.seal`).
    public let bytes: [UInt8]

    public init(keyID: String, bytes: [UInt8]) {
        self.keyID = keyID
        self.bytes = bytes
    }
}

private extension Unicode.Scalar {
    var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
