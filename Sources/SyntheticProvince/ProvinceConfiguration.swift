import BrokerCore

/// What to generate: how many subjects, from which seed, as of which day.
public struct ProvinceConfiguration: Sendable, Hashable {
    /// The PRNG seed: the same configuration always yields the same province.
    public var seed: UInt64
    /// Organisations of every kind (enterprises, individual businesses, cooperatives, social organisations).
    public var organisations: Int
    /// Natural persons.
    public var persons: Int
    /// The day the data describes: records date up to it, monthly data covers the 24 months before it.
    public var asOf: CivilDate

    public init(seed: UInt64, organisations: Int, persons: Int, asOf: CivilDate) {
        self.seed = seed
        self.organisations = organisations
        self.persons = persons
        self.asOf = asOf
    }
}
