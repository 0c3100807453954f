/// The sharing classes of 国发〔2016〕51号: how freely a data item may be shared.
public enum SharingClass: String, Sendable, Hashable, Codable, CaseIterable {
    /// 无条件共享: shared with every authorised user.
    case unconditional
    /// 有条件共享: shared only when stated conditions (purpose, consent, scope) hold.
    case conditional
    /// 不予共享: not shared.
    case none
}
