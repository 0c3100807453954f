/// One data item of the catalog: what a contract grants and a request asks for.
public struct DataItem: Sendable, Hashable {
    /// Stable identifier, e.g. `enterprise.penalty`.
    public let id: String
    /// Chinese and English name.
    public let title: String
    public let subject: SubjectKind
    /// The `DataSource.id` the records come from.
    public let source: String
    /// The `DataCategory.id` the item belongs to.
    public let category: String
    public let sensitivity: Sensitivity
    /// The catalog's default class, used when neither the contract nor its kind's defaults name the item.
    public let sharing: SharingClass
    public let disclosure: DisclosureRule
    /// The fields in catalog order.
    public let fields: [FieldSpec]
    /// Whether a new record of this item (a penalty, a dishonesty or black-list entry) raises an
    /// alert for the partners watching its subject; changes of status always do.
    public let alertsOnNewRecords: Bool

    /// The field named `name`, if any.
    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }
}
