import BrokerCore
import Metering

/// What one answer discloses and under which terms: the facts its `Broker-Receipt` states and its
/// meter event records, made once by the route (`DisclosedAnswer`) so that the two never disagree.
public struct Disclosure: Sendable, Hashable {
    /// The subject key (USCC or person-key hex) when the answer is about one subject: the meter event
    /// stores only its keyed hash (the subject's "who queried me"); the receipt never names it.
    public var subjectKey: String?
    public var purpose: String?
    /// The items disclosed: the receipt's `items_disclosed` and the meter event's.
    public var disclosed: [String]
    /// The items withheld and why (the meter event's; the answer's own body lists them for the partner).
    public var withheld: [MeterEvent.Withheld]
    /// The consent the request named (a query's `consent_id`), or the one the answer is about.
    public var consentID: String?
    /// The contract version the answer was decided under.
    public var contractVersion: ContractVersion

    public init(
        subjectKey: String? = nil, purpose: String?, disclosed: [String] = [], withheld: [MeterEvent.Withheld] = [], consentID: String? = nil,
        contractVersion: ContractVersion
    ) {
        self.subjectKey = subjectKey
        self.purpose = purpose
        self.disclosed = disclosed
        self.withheld = withheld
        self.consentID = consentID
        self.contractVersion = contractVersion
    }
}
