import BrokerCore
import Foundation
import Hummingbird
import Metering

/// `GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD`: the calling partner's own metered usage by day
/// (China time) and item, and its quota use today and this month. Both dates default to today.
struct UsageRoutes {
    let usage: UsageQuery
    let quotas: QuotaLedger

    private struct Report: Encodable {
        struct Quota: Encodable {
            let used: Int
            /// `nil` when the contract sets no limit.
            let limit: Int?
        }

        let partner: String
        let from: CivilDate
        let to: CivilDate
        let days: [UsageDay]
        let quotaToday: Quota
        let quotaThisMonth: Quota

        enum CodingKeys: String, CodingKey {
            case partner, from, to, days, quotaToday = "quota_today", quotaThisMonth = "quota_this_month"
        }
    }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("usage") { request, context -> Response in
            let partner = try context.requirePartner()
            let now = context.instant
            let today = CivilDate(now)
            let given = try request.date("from")
            let from = given ?? today
            let to = try request.date("to") ?? today
            // `from` left out is today: a `to` before it is the `to` at fault, not a `from` never sent.
            if given == nil, to < from {
                throw Problem.invalidRequest("to", "to is before today (China time), the first day when from is not given; give from as well.")
            }
            let days: [UsageDay]
            do {
                days = try await usage.usage(partner: partner.partnerID, from: from, to: to)
            } catch let error as MeteringInputError {
                throw Problem.invalidRequest(error.field, "\(error.field) \(error.reason).")
            }
            let used = try await quotas.spentUsage(partner: partner.partnerID, at: now)
            let limits = partner.contract.quotas
            return try JSONResponse.response(Report(
                partner: partner.partnerID, from: from, to: to, days: days,
                quotaToday: .init(used: used.today, limit: limits.perDay),
                quotaThisMonth: .init(used: used.thisMonth, limit: limits.perMonth)
            ))
        }
    }
}
