import Testing
@testable import BrokerCore

/// Subject text as swift-certificates prints it (RFC 4514): a comma, plus sign, quote, backslash,
/// angle bracket or semicolon inside a value is escaped with a backslash, and so are a value's
/// leading and trailing spaces; RFC 4514 also allows a byte as `\` and two hex digits.
@Suite struct DistinguishedNameTextTests {
    private func pairs(_ text: String) -> [String]? {
        DistinguishedNameText(text)?.attributes.map { "\($0.type)=\($0.value)" }
    }

    @Test func aCommaInsideAValueIsPartOfTheValue() {
        #expect(pairs(#"CN=Li\, Wei,OU=admin-security,O=Bank,C=CN"#) == ["CN=Li, Wei", "OU=admin-security", "O=Bank", "C=CN"])
        #expect(DistinguishedNameText(#"CN=Li\, Wei,O=Bank"#)?.commonName == "Li, Wei")
        #expect(DistinguishedNameText("CN=Security Administrator,OU=admin-security,O=CreditBroker,C=CN")?.commonName == "Security Administrator")
    }

    @Test func everyEscapeIsUndoneAndHexPairsAreBytes() {
        #expect(pairs(#"CN=a\+b\"c\\d\<e\>f\;g"#) == [#"CN=a+b"c\d<e>f;g"#])
        #expect(pairs(#"CN=\E4\B8\AD\E5\9B\BD,O=x\2Cy"#) == ["CN=中国", "O=x,y"])
        #expect(pairs(#"CN=\\AB"#) == [#"CN=\AB"#], "an escaped backslash before hex digits")
        #expect(pairs("CN=中国工商银行,C=CN") == ["CN=中国工商银行", "C=CN"])
    }

    @Test func spacesAroundSeparatorsGoAndEscapedSpacesStay() {
        #expect(pairs("CN = Wei , O=Bank") == ["CN=Wei", "O=Bank"])
        #expect(pairs(#"CN=\ Wei\ ,O=Bank"#) == ["CN= Wei ", "O=Bank"])
    }

    @Test func aPlusSignStartsAnotherAttribute() {
        #expect(pairs("CN=Wei+OU=admin-system,O=Bank") == ["CN=Wei", "OU=admin-system", "O=Bank"])
    }

    @Test func textThatIsNoDistinguishedNameIsNil() {
        for bad in ["", "Wei", "CN=Wei,", ",CN=Wei", "CN=Wei,,O=Bank", #"CN=Wei\"#, "=Wei", "CN=a+b"] {
            #expect(DistinguishedNameText(bad) == nil, "\(bad)")
        }
    }

    @Test func valuesOfATypeIgnoreItsCase() {
        let text = DistinguishedNameText("cn=Wei,OU=a,ou=b,os-account=root")
        #expect(text?.values(of: "OU") == ["a", "b"])
        #expect(text?.commonName == "Wei")
        #expect(text?.values(of: "os-account") == ["root"])
    }
}
