import BrokerStore
import Testing

/// The four-eyes rule compares people by the `CN` and `O` of their certificates' subjects, read as
/// the RFC 4514 text swift-certificates prints: a comma inside a name is escaped (`Li\, Wei`).
@Suite struct ChangeActorTests {
    private func actor(_ fingerprint: Character, _ subject: String) -> ChangeActor {
        ChangeActor(fingerprint: String(repeating: fingerprint, count: 64), subject: subject)
    }

    /// Split at every comma, both names read as `Li\` and two officers were one person: each was
    /// refused approving the other's proposal.
    @Test func twoPeopleWhoseNamesHoldACommaAreTwoPeople() {
        let wei = actor("a", #"CN=Li\, Wei,OU=admin-system,O=Bank,C=CN"#)
        let na = actor("b", #"CN=Li\, Na,OU=admin-security,O=Bank,C=CN"#)
        #expect(!wei.isSamePerson(as: na))
        #expect(!na.isSamePerson(as: wei))
    }

    @Test func onePersonsCertificatesOfTwoRolesAreOnePerson() {
        let system = actor("a", #"CN=Li\, Wei,OU=admin-system,O=Bank,C=CN"#)
        let security = actor("b", #"CN=Li\, Wei,OU=admin-security,O=Bank,C=CN"#)
        #expect(system.isSamePerson(as: security))
        #expect(actor("c", "CN=Wei,O=Bank").isSamePerson(as: actor("d", "CN = Wei, O=Bank")))
        #expect(!actor("c", "CN=Wei,O=Bank").isSamePerson(as: actor("d", "CN=Wei,O=Other Bank")))
    }

    @Test func theSameCertificateIsTheSamePersonWhateverItsText() {
        #expect(actor("a", "CN=Wei,O=Bank").isSamePerson(as: actor("a", "not a name")))
        #expect(ChangeActor(fingerprint: "", subject: "os-account=root,host=a").isSamePerson(as: ChangeActor(fingerprint: "", subject: "os-account=root,host=b")))
        #expect(!ChangeActor(fingerprint: "", subject: "os-account=root,host=a").isSamePerson(as: ChangeActor(fingerprint: "", subject: "os-account=ops,host=a")))
    }
}
