import BrokerCore
import Formats

extension Statement {
    /// The columns of a statement as CSV.
    public static let csvHeader = [
        "partner", "month", "line", "kind", "route", "contract_version", "band", "item", "quantity", "unit_price", "amount",
        "adjustment", "corrects", "reason", "approved_by",
    ]

    /// The statement as CSV (`CSV`, for a spreadsheet: a text that would read as a formula is
    /// prefixed with `'`): its lines, then one `not_billed` row per route and reason (quantity: the
    /// calls, amount 0.00), then the `total`. Every row names the partner and month, so the
    /// statements of many partners can be joined into one file.
    public var csv: String {
        var buffer: [UInt8] = []
        CSV.appendRecord(Self.csvHeader, to: &buffer)
        let month = self.month.description
        for line in lines {
            CSV.appendRecord([
                partner, month, String(line.line), line.kind.rawValue, line.route ?? "", line.contractVersion ?? "", line.band ?? "",
                line.item ?? "", String(line.quantity), line.unitPrice?.description ?? "", line.amount.description,
                line.adjustment.map(String.init) ?? "", line.corrects?.description ?? "", line.reason ?? "", line.approvedBy ?? "",
            ], to: &buffer, guardingFormulas: true)
        }
        for unbilled in notBilled {
            CSV.appendRecord([
                partner, month, "", "not_billed", unbilled.route, "", "", "", String(unbilled.calls), "", Money.zero.description, "", "",
                unbilled.reason.rawValue, "",
            ], to: &buffer, guardingFormulas: true)
        }
        CSV.appendRecord(
            [partner, month, "", "total", "", "", "", "", String(calls.billed), "", total.description, "", "", "", ""], to: &buffer,
            guardingFormulas: true
        )
        return String(decoding: buffer, as: UTF8.self)
    }
}
