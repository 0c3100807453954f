/// How training cuts a feature into bins.
public enum BinningMethod: String, Sendable, CaseIterable {
    /// Equal-frequency bins of the values (categorical: one bin per common value, rare values pooled).
    case quantile
    /// Supervised: greedy binary splits that add the most information value, each numeric bin
    /// holding at least the minimum share of rows (categories are split in WOE order).
    case tree
}
