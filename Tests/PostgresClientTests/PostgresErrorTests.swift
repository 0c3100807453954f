import Testing
@testable import PostgresClient

@Test func errorDescriptionNamesStateAndDetail() {
    let error = PostgresError(.server, "duplicate key", sqlState: "23505", detail: "Key (id) already exists.")
    #expect(error.description == "server error [23505]: duplicate key (Key (id) already exists.)")
}

/// A failed result ends the session when libpq says the connection is bad, when the server says so
/// (08, 57P0x), and when there is no SQLSTATE (libpq's own words about the connection): the fault
/// harness's PostgreSQL scenario saw "server closed the connection unexpectedly" without SQLSTATE
/// while libpq still reported the connection good, and that request was answered 500, not 503.
@Test func aFailedResultWithoutSQLStateEndsTheSessionAsUnavailability() {
    #expect(PostgresError.Kind.ofFailedResult(sqlState: nil, connectionOK: true) == .connection)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: nil, connectionOK: false) == .connection)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: "23505", connectionOK: false) == .connection)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: "57P01", connectionOK: true) == .connection)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: "08006", connectionOK: true) == .connection)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: "23505", connectionOK: true) == .server)
    #expect(PostgresError.Kind.ofFailedResult(sqlState: "53300", connectionOK: true) == .server)
    #expect(PostgresError(.connection, "server closed the connection unexpectedly").isUnavailability)
}
