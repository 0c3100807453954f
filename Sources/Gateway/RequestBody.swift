import BrokerCore
import Formats

/// A partner's JSON request body, parsed once with `JSONParser` and read member by member.
///
/// The body must be UTF-8 text holding one JSON object; anything else is a 400 `invalid-request`
/// naming `body` and saying what is wrong (at which byte, where there is one). Members are read
/// by name with typed accessors: `null` counts as absent, a member of the wrong type is a 400 naming
/// that member, and a member the body holds twice is refused when read rather than one copy picked.
/// Members no accessor asks for are ignored, so partners may send extra ones.
///
/// Problems name members and say which type was expected and which was sent; they never quote a
/// value, so a subject's identifier cannot reach one.
struct RequestBody {
    private let members: [(key: String, value: JSONValue)]
    /// Where the members sit in the request (`record.` for an object member), for problems.
    private var path = ""

    private init(members: [(key: String, value: JSONValue)], path: String) {
        self.members = members
        self.path = path
    }

    /// Parses `bytes`, which must be UTF-8 text holding one JSON object.
    init(_ bytes: some Collection<UInt8>) throws(Problem) {
        let bytes = [UInt8](bytes)
        guard !bytes.isEmpty else { throw .invalidRequest("body", "The body is empty; it must be a JSON object.") }
        if let offset = Self.firstInvalidUTF8Offset(in: bytes) {
            throw .invalidRequest("body", "The body is not UTF-8 text: byte \(offset + 1) does not belong to a valid UTF-8 sequence.")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            var problem = Problem.invalidRequest("body", "The body is \(error.description).")
            if error.isTooDeep { problem.abuse = "deep_json" }
            throw problem
        }
        guard case .object(let members) = value else {
            throw .invalidRequest("body", "The body must be a JSON object, not \(Self.describe(value)).")
        }
        self.members = members
    }

    /// The member `name`, or nil when it is absent or `null`.
    func value(_ name: String) throws(Problem) -> JSONValue? {
        var found: JSONValue?
        for member in members where member.key == name {
            guard found == nil else { throw .invalidRequest(path + name, "\(path + name) appears more than once in the body.") }
            found = member.value
        }
        if case .null? = found { return nil }
        return found
    }

    /// The string member `name`, or nil when it is absent or `null`.
    func string(_ name: String) throws(Problem) -> String? {
        switch try value(name) {
        case nil: return nil
        case .string(let text)?: return try Self.withoutNUL(text, path + name)
        case let other?: throw .invalidRequest(path + name, "\(path + name) must be a string, not \(Self.describe(other)).")
        }
    }

    /// The string member `name`, which must be present and not `null`.
    func string(required name: String) throws(Problem) -> String {
        guard let text = try string(name) else { throw .invalidRequest(path + name, "\(path + name) is required.") }
        return text
    }

    /// The boolean member `name`, or nil when it is absent or `null`.
    func bool(_ name: String) throws(Problem) -> Bool? {
        switch try value(name) {
        case nil: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .invalidRequest(path + name, "\(path + name) must be true or false, not \(Self.describe(other)).")
        }
    }

    /// The object member `name` as a body of its own (its problems name `name.member`), or nil
    /// when it is absent or `null`.
    func object(_ name: String) throws(Problem) -> RequestBody? {
        switch try value(name) {
        case nil: return nil
        case .object(let members)?: return RequestBody(members: members, path: path + name + ".")
        case let other?: throw .invalidRequest(path + name, "\(path + name) must be an object, not \(Self.describe(other)).")
        }
    }

    /// The member `subject`: a USCC or a resident ID number (checked against `today`'s date), required.
    func subject(today: CivilDate) throws(Problem) -> SubjectIdentifier {
        guard let text = try string("subject"), !text.isEmpty else { throw .invalidRequest("subject", "subject is required.") }
        do {
            return try SubjectIdentifier(text, today: today)
        } catch {
            throw .invalidRequest("subject", "subject is neither a valid unified social credit code nor a valid resident ID number.")
        }
    }

    /// The array-of-strings member `name`, or nil when it is absent or `null`; `noun` says what its
    /// strings are ("item ids"). A non-string element is named by its index (`items[2]`).
    func strings(_ name: String, of noun: String) throws(Problem) -> [String]? {
        switch try value(name) {
        case nil:
            return nil
        case .array(let elements)?:
            var texts: [String] = []
            texts.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw .invalidRequest("\(path + name)[\(index)]", "\(path + name)[\(index)] must be a string, not \(Self.describe(element)).")
                }
                texts.append(try Self.withoutNUL(text, "\(path + name)[\(index)]"))
            }
            return texts
        case let other?:
            throw .invalidRequest(path + name, "\(path + name) must be an array of \(noun) (strings), not \(Self.describe(other)).")
        }
    }

    /// `text`, unless it holds a NUL (`\u0000`): no member takes one, and PostgreSQL text cannot hold
    /// it (the driver refuses such a parameter rather than send it cut short).
    private static func withoutNUL(_ text: String, _ field: String) throws(Problem) -> String {
        guard text.utf8.contains(0) else { return text }
        throw .invalidRequest(field, "\(field) holds a NUL character (\\u0000), which no member takes.")
    }

    /// The kind of a JSON value, for a problem's detail: never the value itself.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The offset of the first byte that is not part of a well-formed UTF-8 sequence, if any.
    private static func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int? {
        guard let firstNonASCII = bytes.firstIndex(where: { $0 >= 0x80 }) else { return nil }
        var offset = firstNonASCII
        var iterator = bytes[firstNonASCII...].makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
