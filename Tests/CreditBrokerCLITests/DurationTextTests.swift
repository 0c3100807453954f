import Testing
@testable import CreditBrokerCLI

@Suite struct DurationTextTests {
    @Test(arguments: [
        (Duration.nanoseconds(1_390_581_104), "1.4 s"),
        (.milliseconds(340), "340 ms"),
        (.nanoseconds(999_999), "0 ms"),
        (.milliseconds(9_949), "9.9 s"),
        (.milliseconds(9_950), "10 s"),
        (.seconds(24.4), "24 s"),
        (.seconds(59.6), "1 min"),
        (.seconds(185), "3 min 5 s"),
    ])
    func durationsReadRounded(_ duration: Duration, _ text: String) {
        #expect(duration.text == text)
    }
}
