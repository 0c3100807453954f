extension TrainingSegment {
    /// Segments of a card over fusion features by market-data coverage: `market_data` when any
    /// monthly market feature (tax, social insurance, utilities) is present, else `records_only`.
    /// Those features are missing both when the data is not held and when the partner may not
    /// receive it, so a withheld market item always leaves the subject in `records_only`.
    public static let fusionByMarketData = [
        TrainingSegment(name: "market_data", whenPresent: [
            FusionFeature.taxPaid12m, .socialInsuranceHeadcount, .utilityDelinquencies,
        ].map(\.rawValue)),
        TrainingSegment(name: "records_only"),
    ]
}
