import Testing
@testable import PostgresClient

@Test func errorDescriptionNamesStateAndDetail() {
    let error = PostgresError(.server, "duplicate key", sqlState: "23505", detail: "Key (id) already exists.")
    #expect(error.description == "server error [23505]: duplicate key (Key (id) already exists.)")
}
