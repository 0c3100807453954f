import CLibPQ

/// The rows a statement returned.
///
/// Owns libpq's result and frees it when the last reference goes. A result is immutable once
/// received, and libpq's accessors only read it, so a result can be shared across tasks.
public final class PostgresResult: @unchecked Sendable {
    let handle: OpaquePointer

    /// Rows returned (or, for INSERT/UPDATE/DELETE without RETURNING, zero).
    public let count: Int
    /// Column names in result order.
    public let columns: [String]

    init(handle: OpaquePointer) {
        self.handle = handle
        self.count = Int(PQntuples(handle))
        self.columns = (0..<PQnfields(handle)).map { String(cString: PQfname(handle, $0)) }
    }

    deinit {
        PQclear(handle)
    }

    /// Rows affected by INSERT, UPDATE, DELETE, COPY and the like.
    public var affectedRows: Int {
        Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    public subscript(row: Int) -> PostgresRow {
        precondition(row >= 0 && row < count, "row \(row) out of range 0..<\(count)")
        return PostgresRow(result: self, index: Int32(row))
    }

    /// The column's index, or an error naming the missing column.
    public func columnIndex(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(.decoding, "result has no column \"\(name)\" (columns: \(columns.joined(separator: ", ")))")
        }
        return index
    }
}

extension PostgresResult: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
}

/// One row of a result.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int32

    /// Decodes the value at a column index.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        let handle = result.handle
        let field = Int32(column)
        guard column >= 0, column < result.columns.count else {
            throw PostgresError(.decoding, "column index \(column) out of range (\(result.columns.count) columns)")
        }
        let columnType = PostgresDataType(rawValue: PQftype(handle, field))
        guard T.acceptedTypes.contains(columnType) else {
            throw PostgresError(.decoding, "column \"\(result.columns[column])\" is \(columnType), which does not decode as \(T.self)")
        }
        if PQgetisnull(handle, index, field) != 0 {
            guard let null = T.decodedNull else {
                throw PostgresError(.decoding, "column \"\(result.columns[column])\" is NULL; decode it as \(T.self)?")
            }
            return null
        }
        let bytes = UnsafeRawBufferPointer(start: PQgetvalue(handle, index, field), count: Int(PQgetlength(handle, index, field)))
        do {
            return try T(postgresText: bytes)
        } catch {
            throw PostgresError(.decoding, "column \"\(result.columns[column])\" (\(columnType)) does not decode as \(T.self): \(error.reason)")
        }
    }

    /// Decodes the value of a named column.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try decode(type, at: result.columnIndex(column))
    }

    /// Whether the value at a column index is SQL NULL.
    public func isNull(at column: Int) -> Bool {
        PQgetisnull(result.handle, index, Int32(column)) != 0
    }
}
