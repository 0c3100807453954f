import BrokerCore

/// The words of a report: its headings and notes, and the names of the catalog's fields and enum
/// values, which the catalog itself names only by their wire ids. A field or value missing here is
/// shown by its id (`ReportsTests` checks that every one the shipped catalog has is named).
enum ReportVocabulary {
    static let fields: [String: Bilingual] = [
        "name": .init("名称", "name"),
        "org_type": .init("组织形式", "legal form"),
        "legal_representative": .init("法定代表人", "legal representative"),
        "legal_representative_id": .init("法定代表人证件号", "legal representative's ID"),
        "registered_capital": .init("注册资本（万元）", "registered capital (10,000 CNY)"),
        "established_on": .init("成立日期", "established"),
        "address": .init("地址", "address"),
        "industry": .init("行业", "industry"),
        "operating_status": .init("经营状态", "operating status"),
        "licence_no": .init("许可编号", "licence no."),
        "licence_name": .init("许可名称", "licence"),
        "authority": .init("机关", "authority"),
        "valid_from": .init("有效期自", "valid from"),
        "valid_to": .init("有效期至", "valid to"),
        "decision_no": .init("决定书文号", "decision no."),
        "violation": .init("违法行为", "violation"),
        "penalty_type": .init("处罚类别", "penalty"),
        "amount": .init("金额（元）", "amount (CNY)"),
        "severity": .init("情节", "severity"),
        "case_no": .init("案号", "case no."),
        "court": .init("法院", "court"),
        "obligation": .init("生效法律文书确定的义务", "obligation"),
        "reason": .init("原因", "reason"),
        "year": .init("年度", "year"),
        "level": .init("等级", "level"),
        "rated_on": .init("评定日期", "rated on"),
        "list_name": .init("名单名称", "list"),
        "commitment_type": .init("承诺类型", "commitment"),
        "fulfilled": .init("是否履约", "fulfilled"),
        "period": .init("所属期", "period"),
        "tax_paid": .init("纳税额（元）", "tax paid (CNY)"),
        "invoice_amount": .init("开票金额（元）", "invoiced (CNY)"),
        "invoice_count": .init("开票张数", "invoices"),
        "arrears": .init("欠税（元）", "arrears (CNY)"),
        "headcount": .init("缴纳人数", "headcount"),
        "contributions": .init("缴纳金额（元）", "contributions (CNY)"),
        "utility": .init("费用类别", "utility"),
        "amount_due": .init("应缴金额（元）", "amount due (CNY)"),
        "days_late": .init("逾期天数", "days late"),
        "certificate_no": .init("证书编号", "certificate no."),
        "location": .init("坐落", "location"),
        "area_m2": .init("面积（平方米）", "area (m²)"),
        "assessed_value": .init("评估价值（元）", "assessed value (CNY)"),
        "mortgaged": .init("是否抵押", "mortgaged"),
        "exports": .init("出口额（元）", "exports (CNY)"),
        "imports": .init("进口额（元）", "imports (CNY)"),
        "patent_no": .init("专利号", "patent no."),
        "kind": .init("专利类型", "kind"),
        "title": .init("名称", "title"),
        "role": .init("诉讼地位", "role"),
        "cause": .init("案由", "cause"),
        "closed": .init("是否结案", "closed"),
        "id_number": .init("证件号码", "ID number"),
        "employer": .init("缴纳单位", "employer"),
        "mobile": .init("手机号码", "mobile"),
        "bank_card": .init("银行卡号", "bank card"),
    ]

    /// `field.value` → its name.
    static let values: [String: Bilingual] = [
        "org_type.enterprise": .init("企业", "enterprise"),
        "org_type.individual_business": .init("个体工商户", "individual business"),
        "org_type.cooperative": .init("农民专业合作社", "cooperative"),
        "org_type.social_organisation": .init("社会组织", "social organisation"),
        "operating_status.active": .init("存续", "active"),
        "operating_status.revoked": .init("吊销", "revoked"),
        "operating_status.deregistered": .init("注销", "deregistered"),
        "penalty_type.warning": .init("警告", "warning"),
        "penalty_type.fine": .init("罚款", "fine"),
        "penalty_type.confiscation": .init("没收", "confiscation"),
        "penalty_type.suspension": .init("责令停产停业", "suspension"),
        "penalty_type.revocation": .init("吊销许可证照", "revocation"),
        "penalty_type.detention": .init("行政拘留", "detention"),
        "severity.minor": .init("轻微", "minor"),
        "severity.general": .init("一般", "general"),
        "severity.serious": .init("严重", "serious"),
        "reason.annual_report_missing": .init("未按期公示年度报告", "annual report missing"),
        "reason.unreachable_address": .init("通过登记的住所无法联系", "unreachable at its registered address"),
        "reason.false_information": .init("公示信息隐瞒真实情况、弄虚作假", "false information published"),
        "reason.other": .init("其他", "other"),
        "level.advanced_certified": .init("高级认证企业", "advanced certified"),
        "level.general": .init("一般认证企业", "general"),
        "level.dishonest": .init("失信企业", "dishonest"),
        "utility.water": .init("水费", "water"),
        "utility.electricity": .init("电费", "electricity"),
        "utility.gas": .init("燃气费", "gas"),
        "kind.invention": .init("发明", "invention"),
        "kind.utility_model": .init("实用新型", "utility model"),
        "kind.design": .init("外观设计", "design"),
        "role.plaintiff": .init("原告", "plaintiff"),
        "role.defendant": .init("被告", "defendant"),
        "role.third_party": .init("第三人", "third party"),
    ]

    static let yes = Bilingual("是", "yes")
    static let no = Bilingual("否", "no")

    static func reason(_ reason: WithholdReason) -> Bilingual {
        switch reason {
        case .notInContract: .init("不在贵方合同范围内", "not in your contract")
        case .noSharing: .init("按规定不对外共享", "not shared with any partner")
        case .purposeNotAllowed: .init("合同不允许以本次查询用途获取", "your contract does not allow it for this purpose")
        case .consentMissing: .init("需要信息主体授权，未见有效授权", "needs the subject's consent, and none is on file")
        case .consentExpired: .init("授权已过有效期", "the consent has expired")
        case .consentExhausted: .init("授权使用次数已用完", "the consent's uses are used up")
        case .consentOutOfScope: .init("授权未涵盖该项或本次用途", "the consent does not cover this item or purpose")
        case .contractNotActive: .init("合同不在有效期内", "your contract is not in force")
        case .partnerSuspended: .init("贵方已被平台暂停", "your access is suspended by the platform")
        case .quotaExhausted: .init("查询配额已用完", "your quota is used up")
        }
    }

    /// What would unlock a withheld item, in words; `item` and `purpose` named by their titles.
    static func unlock(_ unlock: Unlock, itemTitle: (String) -> Bilingual, purposeTitle: (String) -> Bilingual) -> Bilingual {
        switch unlock {
        case let .consent(item, purpose):
            let (item, purpose) = (itemTitle(item), purposeTitle(purpose))
            return .init("取得信息主体授权，授权范围涵盖“\(item.zh)”，用途为“\(purpose.zh)”", "a consent of the subject covering \(item.en) for \(purpose.en)")
        case .contractChange: return .init("变更贵方合同", "a change of your contract")
        case .contractTerm(let day): return .init("合同期自 \(day) 起生效后", "your contract's term starting \(day)")
        case .nextQuotaPeriod(let day): return .init("\(day) 起的下一配额周期", "the next quota period, from \(day)")
        case .reinstatement: return .init("平台管理员恢复贵方访问", "reinstatement by a platform administrator")
        }
    }

    static func partnerKind(_ kind: String) -> Bilingual {
        switch kind {
        case "bank": .init("商业银行", "banks")
        case "credit_agency": .init("征信机构", "credit agencies")
        case "joint_credit": .init("联合征信机构", "joint-credit company")
        case "portal": .init("信用门户（信息主体本人）", "credit portal (the subject)")
        case "data_source": .init("数据来源单位", "data sources")
        default: .init(kind, kind)
        }
    }

    static func stream(_ stream: String) -> Bilingual {
        switch stream {
        case "changes": .init("增量变更推送", "change feed")
        case "alerts": .init("贷后预警", "monitoring alerts")
        default: .init(stream, stream)
        }
    }

    static func noScore(_ reason: ReportDocument.NoScore, present: Int?, of: Int?) -> Bilingual {
        switch reason {
        case .person: .init("评分仅适用于企业等组织。", "Scores cover organisations only.")
        case .noInputDisclosed: .init("本报告未披露评分卡的任何输入项，不予评分。", "None of the scorecard's inputs is disclosed in this report, so it is not scored.")
        case .insufficientData:
            .init(
                "可用特征 \(present ?? 0) / \(of ?? 0) 项，不足半数，不予评分。",
                "\(present ?? 0) of the \(of ?? 0) features are available, fewer than half: not scored."
            )
        }
    }
}
