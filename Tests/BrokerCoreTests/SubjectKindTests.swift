import Testing
@testable import BrokerCore

/// Subject kinds are persisted by raw value: renaming one would orphan stored subjects.
@Test func subjectKindRawValuesAreStable() {
    #expect(SubjectKind.allCases.map(\.rawValue) == ["organisation", "person"])
}
