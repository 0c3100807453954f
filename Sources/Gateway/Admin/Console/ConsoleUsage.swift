import BrokerCore
import Formats
import Foundation

/// The usage page's charts and tables, from the admin API's usage report (`GET /admin/v1/usage`):
/// each chart's numbers are its table, which the page shows under it and exports as CSV.
struct ConsoleUsage {
    struct Table {
        struct Cell {
            let text: String
            let isHeader: Bool
            let isNumber: Bool
        }

        /// `calls`, `quota`, `latency`, `reasons`, `items`: the `table` of `usage.csv`.
        let id: String
        let title: String
        let summary: String
        let svg: String?
        let header: [String]
        let rows: [[Cell]]
        let csvHref: String

        var values: [String: Any] {
            var values: [String: Any] = [
                "id": id, "title": title, "summary": summary, "header": header, "hasRows": !rows.isEmpty, "csvHref": csvHref,
                "rows": rows.map { row in
                    ["cells": row.map { ["text": $0.text, "isHeader": $0.isHeader, "isNumber": $0.isNumber] as [String: Any] }] as [String: Any]
                },
            ]
            // Left out when there is none: Mustache would print an optional's `nil`.
            values["svg"] = svg
            return values
        }

        /// RFC 4180 with CRLF line ends; a field a spreadsheet would take for a formula is prefixed with `'`.
        var csv: String { CSV.text(header: header, rows: rows.map { $0.map(\.text) }, guardingFormulas: true, terminator: "\r\n") }
    }

    let report: UsageReport
    let session: ConsoleSession

    private func word(_ key: String) -> String { session.word(key) }

    private func csvHref(_ table: String) -> String {
        "/console/usage.csv?" + ConsoleSession.query([
            ("partner", report.partner), ("from", report.from.description), ("to", report.to.description), ("table", table),
        ])
    }

    private static func label(_ text: String) -> Table.Cell { .init(text: text, isHeader: true, isNumber: false) }
    private static func text(_ text: String) -> Table.Cell { .init(text: text, isHeader: false, isNumber: false) }
    private static func number(_ value: Double) -> Table.Cell { .init(text: ConsoleFormat.number(value), isHeader: false, isNumber: true) }
    private static func number(_ value: Int) -> Table.Cell { number(Double(value)) }

    var tables: [Table] { [calls, quota, latency, reasons, items] }

    /// Item decisions per day, disclosed and withheld stacked, with the day's calls in the table.
    var calls: Table {
        var days: [CivilDate] = []
        var day = report.from
        while day <= report.to {
            days.append(day)
            day = day.adding(days: 1)
        }
        let byDay = Dictionary(report.days.map { ($0.day, $0) }, uniquingKeysWith: { first, _ in first })
        let disclosed = days.map { Double(byDay[$0]?.items.reduce(0) { $0 + $1.disclosed } ?? 0) }
        let withheld = days.map { Double(byDay[$0]?.items.reduce(0) { $0 + $1.withheld } ?? 0) }
        let title = "\(word("callsChart")) · \(report.partner)"
        let summary = "\(report.from) – \(report.to): \(report.days.reduce(0) { $0 + $1.calls }) \(word("calls")), "
            + "\(ConsoleFormat.number(disclosed.reduce(0, +))) \(word("disclosed")), \(ConsoleFormat.number(withheld.reduce(0, +))) \(word("withheld"))"
        let chart = ConsoleChart(id: "calls", title: title, summary: summary).stackedBars(
            categories: days.map(\.description),
            series: [.init(name: word("disclosed"), style: "s-disclosed", values: disclosed), .init(name: word("withheld"), style: "s-withheld", values: withheld)]
        )
        let rows = report.days.map { day in
            [
                Self.label(day.day.description), Self.number(day.calls), Self.number(day.items.reduce(0) { $0 + $1.disclosed }),
                Self.number(day.items.reduce(0) { $0 + $1.withheld }),
            ]
        }
        return Table(
            id: "calls", title: title, summary: summary, svg: chart, header: [word("day"), word("calls"), word("disclosed"), word("withheld")],
            rows: rows, csvHref: csvHref("calls")
        )
    }

    /// Quota units used today and this month against the contract's quotas.
    var quota: Table {
        let periods = [(word("today"), report.quotaToday), (word("thisMonth"), report.quotaThisMonth)]
        let summary = periods.map { "\($0.0): \($0.1.used) / \($0.1.limit.map(String.init) ?? word("unlimited"))" }.joined(separator: "; ")
        let chart = ConsoleChart(id: "quota", title: word("quotaChart"), summary: summary).horizontalBars(
            rows: periods.map { (label: $0.0, value: Double($0.1.used), limit: $0.1.limit.map(Double.init)) }, style: "s-used"
        )
        let rows = periods.map { period, quota in
            [
                Self.label(period), Self.number(quota.used), quota.limit.map { Self.number($0) } ?? Self.text(word("unlimited")),
                quota.limit.map { limit in Self.text(limit > 0 ? String(format: "%.1f%%", 100 * Double(quota.used) / Double(limit)) : "–") } ?? Self.text("–"),
            ]
        }
        return Table(
            id: "quota", title: word("quotaChart"), summary: summary, svg: chart, header: [word("period"), word("used"), word("limit"), word("share")],
            rows: rows, csvHref: csvHref("quota")
        )
    }

    /// The answer time's median and 99th percentile per day with calls.
    var latency: Table {
        let days = report.latency.map(\.day.description)
        let summary = report.latency.isEmpty ? word("noUsage")
            : "p50 \(ConsoleFormat.number(report.latency.map(\.p50).max() ?? 0)) ms max, p99 \(ConsoleFormat.number(report.latency.map(\.p99).max() ?? 0)) ms max"
        let chart = ConsoleChart(id: "latency", title: word("latencyChart"), summary: summary).lines(
            categories: days,
            series: [.init(name: "p50", style: "s-p50", values: report.latency.map(\.p50)), .init(name: "p99", style: "s-p99", values: report.latency.map(\.p99))]
        )
        let rows = report.latency.map { [Self.label($0.day.description), Self.number(Self.round($0.p50)), Self.number(Self.round($0.p99))] }
        return Table(
            id: "latency", title: word("latencyChart"), summary: summary, svg: report.latency.isEmpty ? nil : chart,
            header: [word("day"), "p50 (ms)", "p99 (ms)"], rows: rows, csvHref: csvHref("latency")
        )
    }

    /// Withholding reasons over the period, most frequent first (the top 8 drawn, all in the table).
    var reasons: Table {
        var counts: [String: Int] = [:]
        for entry in report.withheld { counts[entry.reason, default: 0] += entry.count }
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let total = sorted.reduce(0) { $0 + $1.value }
        let summary = sorted.prefix(3).map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let chart = ConsoleChart(id: "reasons", title: word("reasonsChart"), summary: summary).horizontalBars(
            rows: sorted.prefix(8).map { (label: $0.key, value: Double($0.value), limit: nil) }, style: "s-withheld"
        )
        let rows = sorted.map { reason, count in
            [Self.label(reason), Self.number(count), Self.text(String(format: "%.1f%%", 100 * Double(count) / Double(max(total, 1))))]
        }
        return Table(
            id: "reasons", title: word("reasonsChart"), summary: summary, svg: sorted.isEmpty ? nil : chart,
            header: [word("reason"), word("count"), word("share")], rows: rows, csvHref: csvHref("reasons")
        )
    }

    /// Per day and item: disclosed, and withheld by each reason.
    var items: Table {
        let reasons = Array(Set(report.withheld.map(\.reason))).sorted()
        var withheld: [String: Int] = [:]
        for entry in report.withheld { withheld["\(entry.day)|\(entry.item)|\(entry.reason)", default: 0] += entry.count }
        let rows = report.days.flatMap { day in
            day.items.map { item in
                [Self.label(day.day.description), Self.text(item.item), Self.number(item.disclosed)]
                    + reasons.map { Self.number(withheld["\(day.day)|\(item.item)|\($0)"] ?? 0) }
            }
        }
        return Table(
            id: "items", title: word("itemsTable"), summary: "", svg: nil,
            header: [word("day"), word("item"), word("disclosed")] + reasons.map { "\(word("withheld")): \($0)" }, rows: rows, csvHref: csvHref("items")
        )
    }

    private static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
