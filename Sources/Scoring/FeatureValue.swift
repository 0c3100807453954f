/// One feature's value in a ``FeatureVector``. Missing is explicit, never NaN or zero.
public enum FeatureValue: Sendable, Hashable {
    case missing
    case number(Double)
    /// A categorical value interned by the vector's ``FeatureLayout``: an index into the feature's
    /// known values, or ``FeatureLayout/unlistedCategory`` for a value the card does not list.
    case category(Int32)
}
