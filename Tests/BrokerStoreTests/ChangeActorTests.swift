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
        #expect(!actor("c", "CN=Wei,O=Bank").isSamePerson(as: actor("d", "CN=Na,O=Bank")))
    }

    /// A second certificate of one person, its subject written otherwise, approved that person's own
    /// proposals: the CN and OU in one part, an extra CN, another case, two spaces. A CN is compared as
    /// X.520 compares it (case and runs of spaces do not count), and sharing one CN is enough.
    @Test func aSubjectWrittenOtherwiseIsStillThePerson() {
        let alice = actor("a", "CN=Alice Zhang,OU=admin-system,O=CreditBroker,C=CN")
        for other in [
            "CN=Alice Zhang+OU=admin-security,O=CreditBroker,C=CN",
            "CN=Security,CN=Alice Zhang,OU=admin-security,O=CreditBroker,C=CN",
            "CN=alice zhang,OU=admin-security,O=CreditBroker,C=CN",
            "CN=Alice  Zhang,OU=admin-security,O=CreditBroker,C=CN",
            "CN=ALICE ZHANG,OU=admin-security,O=Another Name Of The Operator,C=CN",
        ] {
            #expect(alice.isSamePerson(as: actor("b", other)), "\(other)")
            #expect(actor("b", other).isSamePerson(as: alice), "\(other)")
        }
    }

    @Test func theSameCertificateIsTheSamePersonWhateverItsText() {
        #expect(actor("a", "CN=Wei,O=Bank").isSamePerson(as: actor("a", "not a name")))
        #expect(ChangeActor(fingerprint: "", subject: "os-account=root,host=a").isSamePerson(as: ChangeActor(fingerprint: "", subject: "os-account=root,host=b")))
        #expect(!ChangeActor(fingerprint: "", subject: "os-account=root,host=a").isSamePerson(as: ChangeActor(fingerprint: "", subject: "os-account=ops,host=a")))
    }
}
