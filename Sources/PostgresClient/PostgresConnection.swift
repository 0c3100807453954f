import CLibPQ
import NIOPosix

/// One connection to PostgreSQL through libpq.
///
/// A statement is sent by its caller without waiting, and its reply is read by the process's one
/// `PostgresReplyWaiter` thread when the server's bytes arrive. What would block (connecting,
/// COPY, scripts, statements with parameters too large for one write) runs on the pool's thread
/// pool, never on a NIO event loop or the Swift concurrency pool. A connection serves one task at a
/// time: the pool hands it out exclusively, and a task never shares it while a call is in flight;
/// while a reply is awaited only the waiter touches it. That discipline is what makes the
/// `@unchecked Sendable` sound.
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer
    let threadPool: NIOThreadPool
    /// What asks the server to stop this connection's running statement (`PQcancel`, from any thread).
    private let cancelHandle: OpaquePointer?
    private var preparedNames: Set<String> = []
    /// True once the connection failed in a way that makes it unusable; the pool then drops it.
    public private(set) var isBroken = false

    /// Opens a connection (on the thread pool) and sets the session to UTC and ISO dates.
    public static func connect(_ configuration: PostgresConfiguration, on threadPool: NIOThreadPool) async throws -> PostgresConnection {
        try await threadPool.runIfActive {
            try PostgresConnection(blockingConnect: configuration, threadPool: threadPool)
        }
    }

    private init(blockingConnect configuration: PostgresConfiguration, threadPool: NIOThreadPool) throws {
        self.handle = try Self.openHandle(configuration)
        self.threadPool = threadPool
        self.cancelHandle = PQgetCancel(handle)
        try blockingSimple("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET bytea_output TO 'hex'")
    }

    /// Opens a libpq connection (blocking) with notices silenced.
    static func openHandle(_ configuration: PostgresConfiguration, role: String = "") throws -> OpaquePointer {
        if let misreading = configuration.misreading { throw PostgresError(.connection, "cannot connect: \(misreading)") }
        var keys = ["dbname", "application_name", "connect_timeout"]
        var values = [configuration.connectionString, configuration.applicationName + role, "10"]
        if let database = configuration.databaseOverride {
            // Only the first dbname is expanded as a connection string; a later one is a plain name.
            keys.append("dbname")
            values.append(database)
        }
        let connection = withCStringArray(keys) { keyPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keyPointers, valuePointers, 1)
            }
        }
        guard let connection else {
            throw PostgresError(.connection, "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = errorMessage(connection)
            PQfinish(connection)
            throw PostgresError(.connection, "cannot connect to \(configuration.redacted): \(configuration.scrubbed(message))")
        }
        // Notices (for example "relation already exists, skipping") would go to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return connection
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    /// Whether the session is outside any transaction, as libpq last saw it (no round trip).
    var isOutsideTransaction: Bool {
        PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// Asks the server to stop the statement running on this connection, blocking until the
    /// request is delivered (a short connection of its own). The statement then fails with
    /// SQLSTATE 57014; one that had already finished is not affected, and the connection stays usable.
    func blockingRequestCancel() {
        guard let cancelHandle else { return }
        var reason = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &reason, Int32(reason.count))
    }

    // MARK: Async API

    /// Runs a query; values travel as parameters.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        #if os(Linux)
        if Self.sendsWithoutWaiting(query.bindings) {
            try send(query.bindings) { connection, count, values, lengths, formats in
                PQsendQueryParams(connection, query.sql, count, nil, values, lengths, formats, 0)
            }
            return try await PostgresReplyWaiter.shared.reply(on: self, bindings: query.bindings)
        }
        #endif
        return try await run { try $0.blockingQuery(query) }
    }

    /// Executes a prepared statement, preparing it on this connection the first time.
    @discardableResult
    public func execute(_ statement: PostgresStatement, _ bindings: PostgresBindings = []) async throws -> PostgresResult {
        #if os(Linux)
        if Self.sendsWithoutWaiting(bindings) {
            if !preparedNames.contains(statement.name) {
                try send([]) { connection, _, _, _, _ in PQsendPrepare(connection, statement.name, statement.sql, 0, nil) }
                try await PostgresReplyWaiter.shared.reply(on: self, bindings: []).discard()
                preparedNames.insert(statement.name)
            }
            try send(bindings) { connection, count, values, lengths, formats in
                PQsendQueryPrepared(connection, statement.name, count, values, lengths, formats, 0)
            }
            return try await PostgresReplyWaiter.shared.reply(on: self, bindings: bindings)
        }
        #endif
        return try await run { try $0.blockingExecute(statement, bindings) }
    }

    /// Runs `COPY … FROM STDIN`; `body` writes the data (on the client's thread pool) and
    /// returns when done. Returns the number of rows copied. If `body` throws, the COPY is
    /// aborted and nothing it wrote is kept.
    @discardableResult
    public func copyFromStdin(_ sql: PostgresQuery, _ body: @escaping @Sendable (PostgresCopyWriter) throws -> Void) async throws -> Int {
        try await run { connection in
            try connection.blockingCopy(sql) { try body($0) }
        }
    }

    /// Runs `body` against the blocking API on the client's thread pool.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await threadPool.runIfActive { try body(self) }
    }

    // MARK: Blocking core (thread pool only)

    func blockingSimple(_ sql: String) throws {
        try check(PQexec(handle, sql), bindings: PostgresBindings()).discard()
    }

    func blockingQuery(_ query: PostgresQuery) throws -> PostgresResult {
        let result = try withParameters(query.bindings) { count, values, lengths, formats in
            PQexecParams(handle, query.sql, count, nil, values, lengths, formats, 0)
        }
        return try check(result, bindings: query.bindings)
    }

    func blockingExecute(_ statement: PostgresStatement, _ bindings: PostgresBindings) throws -> PostgresResult {
        if !preparedNames.contains(statement.name) {
            try check(PQprepare(handle, statement.name, statement.sql, 0, nil), bindings: PostgresBindings()).discard()
            preparedNames.insert(statement.name)
        }
        let result = try withParameters(bindings) { count, values, lengths, formats in
            PQexecPrepared(handle, statement.name, count, values, lengths, formats, 0)
        }
        return try check(result, bindings: bindings)
    }

    func blockingCopy(_ sql: PostgresQuery, _ body: (PostgresCopyWriter) throws -> Void) throws -> Int {
        let start = try withParameters(sql.bindings) { count, values, lengths, formats in
            PQexecParams(handle, sql.sql, count, nil, values, lengths, formats, 0)
        }
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            try check(start, bindings: sql.bindings).discard()
            throw PostgresError(.usage, "statement is not COPY … FROM STDIN")
        }
        PQclear(start)
        do {
            try body(PostgresCopyWriter(connection: self))
        } catch {
            _ = PQputCopyEnd(handle, "aborted by client")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw connectionFailure()
        }
        // Read to the end of the reply whether the COPY succeeded or not: a statement sent next
        // (`PQsend…`) is refused while a result is still unread.
        defer { drainResults() }
        return try check(PQgetResult(handle), bindings: sql.bindings).affectedRows
    }

    func blockingPutCopyData(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        let status = bytes.withMemoryRebound(to: CChar.self) {
            PQputCopyData(handle, $0.baseAddress, Int32($0.count))
        }
        guard status == 1 else { throw connectionFailure() }
    }

    // MARK: Sending without waiting (the caller's thread) and reading the reply (the reply waiter's)

    /// Parameters up to this size are sent by the caller itself: the write fits the socket's buffer
    /// and returns at once. Larger ones (a batch of rows as one JSON array) go through the thread
    /// pool, where a write that waits for the server to read blocks no task's thread.
    static let largestSentWithoutWaiting = 64 * 1024

    static func sendsWithoutWaiting(_ bindings: PostgresBindings) -> Bool {
        var size = 0
        for parameter in bindings.parameters {
            switch parameter {
            case .null: break
            case .text(let text): size += text.utf8.count
            case .binary(let bytes): size += bytes.count
            }
            if size > largestSentWithoutWaiting { return false }
        }
        return true
    }

    /// Sends one statement (libpq's `PQsend…` functions); its reply is read by `readReply`.
    func send(
        _ bindings: PostgresBindings,
        _ body: (OpaquePointer, Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> Int32
    ) throws {
        let sent = try withParameters(bindings) { count, values, lengths, formats in
            body(handle, count, values, lengths, formats)
        }
        guard sent == 1 else { throw connectionFailure() }
    }

    /// Reads what the server sent; returns the statement's outcome once the reply is whole, or nil
    /// while libpq still waits for more of it. `first` keeps the reply's first result (a statement
    /// sent alone has one) between reads.
    func readReply(_ first: inout Result<PostgresResult, any Error>?, bindings: PostgresBindings) -> Result<PostgresResult, any Error>? {
        guard PQconsumeInput(handle) == 1 else {
            return .failure(connectionFailure())
        }
        while PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                return first ?? .failure(PostgresError(.connection, "the database ended its reply without a result"))
            }
            if first == nil {
                first = Result { try check(result, bindings: bindings) }
            } else {
                PQclear(result)
            }
        }
        return nil
    }

    /// Checks, without a round trip, that the server has not closed an idle connection.
    ///
    /// An idle pooled connection's socket has nothing to read. If it is readable, the server
    /// sent a termination message or closed it (for example on a restart): it is marked broken
    /// rather than handed out to fail (a rare harmless message only costs a reconnect).
    func checkIdleConnection() -> Bool {
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 { isBroken = true }
        return !isBroken
    }

    // MARK: Results and errors

    func check(_ result: OpaquePointer?, bindings: PostgresBindings) throws -> PostgresResult {
        guard let result else { throw connectionFailure() }
        let status = PQresultStatus(result)
        if status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_COPY_IN {
            return PostgresResult(handle: result)
        }
        defer { PQclear(result) }
        let sqlState = field(result, "C")
        let message = field(result, "M") ?? Self.errorMessage(handle)
        let detail = field(result, "D")
        let kind = PostgresError.Kind.ofFailedResult(sqlState: sqlState, connectionOK: PQstatus(handle) == CONNECTION_OK)
        if kind == .connection { isBroken = true }
        throw PostgresError(kind, message, sqlState: sqlState, detail: detail).scrubbing(bindings.textValues)
    }

    func connectionFailure() -> PostgresError {
        isBroken = PQstatus(handle) != CONNECTION_OK || isBroken
        return PostgresError(.connection, Self.errorMessage(handle))
    }

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    /// An error field by its libpq code letter (`C` SQLSTATE, `M` message, `D` detail).
    private func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) }
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingTrailingWhitespace()
    }
}

/// Writes data into a running `COPY … FROM STDIN`.
public struct PostgresCopyWriter {
    let connection: PostgresConnection

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try connection.blockingPutCopyData(bytes)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

extension PostgresResult {
    /// Marks a result as deliberately unused.
    func discard() {}
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

/// Calls `body` with C string pointers for `strings`, NULL-terminated as libpq's key/value arrays want.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Lays out parameters for `PQexecParams` / `PQexecPrepared` in one buffer: values, lengths and
/// formats (text parameters NUL-terminated, binary ones with explicit lengths).
///
/// Every statement's parameters pass here, where a text value becomes a C string. PostgreSQL's text
/// cannot hold NUL, and libpq would send the value only up to its first one, stored cut short and
/// silently: such a statement is refused, naming the parameter, never its value.
private func withParameters<R>(
    _ bindings: PostgresBindings,
    _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) throws(PostgresError) -> R {
    let parameters = bindings.parameters
    if parameters.isEmpty { return body(0, nil, nil, nil) }
    var storage = [UInt8]()
    var offsets = [Int?]()
    var lengths = [Int32]()
    var formats = [Int32]()
    offsets.reserveCapacity(parameters.count)
    for parameter in parameters {
        switch parameter {
        case .null:
            offsets.append(nil)
            lengths.append(0)
            formats.append(0)
        case .text(let text):
            let start = storage.count
            offsets.append(start)
            storage.append(contentsOf: text.utf8)
            if storage[start...].contains(0) {
                throw PostgresError(.usage, "parameter $\(offsets.count) holds a NUL character, which PostgreSQL text cannot hold")
            }
            storage.append(0)
            lengths.append(0)
            formats.append(0)
        case .binary(let bytes):
            offsets.append(storage.count)
            storage.append(contentsOf: bytes)
            storage.append(0)
            lengths.append(Int32(bytes.count))
            formats.append(1)
        }
    }
    return storage.withUnsafeBufferPointer { buffer in
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
        let pointers: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
        return pointers.withUnsafeBufferPointer { values in
            lengths.withUnsafeBufferPointer { lengths in
                formats.withUnsafeBufferPointer { formats in
                    body(Int32(parameters.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                }
            }
        }
    }
}

extension PostgresConnection {
    /// Runs a multi-statement SQL script with the simple query protocol (no parameters at all).
    /// For migrations and fixed setup scripts only: the text must never contain a value.
    public func unsafeExecuteScript(_ sql: String) async throws {
        try await run { try $0.blockingSimple(sql) }
    }
}
