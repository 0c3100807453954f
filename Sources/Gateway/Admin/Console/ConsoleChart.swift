import Foundation

/// The console's charts, drawn by the server as inline SVG (no script, no external fetch). Colours
/// come from the style sheet by class; each chart is an image with a title and a description, and
/// the page puts the table of its numbers under it.
struct ConsoleChart: Sendable {
    struct Series: Sendable {
        let name: String
        /// The style sheet's class for its colour (`s-disclosed`, `s-withheld`, `s-p50`, `s-p99`, `s-used`).
        let style: String
        let values: [Double]
    }

    let id: String
    let title: String
    let summary: String

    private static let width = 720.0
    private static let height = 260.0
    private static let left = 56.0
    private static let right = 16.0
    private static let top = 28.0
    private static let bottom = 40.0

    /// Bars per category, the series stacked on each other.
    func stackedBars(categories: [String], series: [Series]) -> String {
        let totals = categories.indices.map { index in series.reduce(0) { $0 + ($1.values[safe: index] ?? 0) } }
        let scale = Self.niceMaximum(totals.max() ?? 0)
        var body = axes(maximum: scale, categories: categories)
        let slot = Self.plotWidth / Double(max(categories.count, 1))
        let barWidth = max(2, min(40, slot * 0.7))
        for index in categories.indices {
            var base = 0.0
            let x = Self.left + slot * Double(index) + (slot - barWidth) / 2
            for one in series {
                let value = one.values[safe: index] ?? 0
                guard value > 0 else { continue }
                let y0 = y(base, scale), y1 = y(base + value, scale)
                body += #"<rect class="\#(one.style)" x="\#(f(x))" y="\#(f(y1))" width="\#(f(barWidth))" height="\#(f(y0 - y1))"><title>\#(esc(categories[index])) · \#(esc(one.name)): \#(number(value))</title></rect>"#
                base += value
            }
        }
        return svg(body + legend(series))
    }

    /// One line per series over the categories.
    func lines(categories: [String], series: [Series]) -> String {
        let scale = Self.niceMaximum(series.flatMap(\.values).max() ?? 0)
        var body = axes(maximum: scale, categories: categories)
        let slot = Self.plotWidth / Double(max(categories.count, 1))
        for one in series {
            let points = one.values.enumerated().map { index, value in (Self.left + slot * (Double(index) + 0.5), y(value, scale)) }
            body += #"<polyline class="\#(one.style) line" fill="none" points="\#(points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))"/>"#
            for (index, point) in points.enumerated() {
                body += #"<circle class="\#(one.style)" cx="\#(f(point.0))" cy="\#(f(point.1))" r="3"><title>\#(esc(categories[index])) · \#(esc(one.name)): \#(number(one.values[index]))</title></circle>"#
            }
        }
        return svg(body + legend(series))
    }

    /// One horizontal bar per row, against `limit` when a row has one (drawn as a mark).
    func horizontalBars(rows: [(label: String, value: Double, limit: Double?)], style: String) -> String {
        let scale = Self.niceMaximum(rows.map { max($0.value, $0.limit ?? 0) }.max() ?? 0)
        let labelWidth = 180.0
        let rowHeight = 30.0
        let height = Self.top + rowHeight * Double(max(rows.count, 1)) + 24
        let plot = Self.width - labelWidth - Self.right - 60
        var body = ""
        for (index, row) in rows.enumerated() {
            let y = Self.top + rowHeight * Double(index)
            let width = plot * row.value / scale
            body += #"<text class="label" x="\#(f(labelWidth - 8))" y="\#(f(y + 19))" text-anchor="end">\#(esc(row.label))</text>"#
            body += #"<rect class="\#(style)" x="\#(f(labelWidth))" y="\#(f(y + 5))" width="\#(f(max(width, row.value > 0 ? 1 : 0)))" height="20"><title>\#(esc(row.label)): \#(number(row.value))</title></rect>"#
            if let limit = row.limit {
                let x = labelWidth + plot * limit / scale
                body += #"<line class="limit" x1="\#(f(x))" x2="\#(f(x))" y1="\#(f(y + 1))" y2="\#(f(y + 29))"/>"#
            }
            body += #"<text class="value" x="\#(f(labelWidth + max(width, 0) + 6))" y="\#(f(y + 19))">\#(number(row.value))\#(row.limit.map { " / " + number($0) } ?? "")</text>"#
        }
        return svg(body, height: height)
    }

    // MARK: Parts

    private static var plotWidth: Double { width - left - right }
    private static var plotHeight: Double { height - top - bottom }

    private func y(_ value: Double, _ scale: Double) -> Double {
        Self.top + Self.plotHeight * (1 - value / scale)
    }

    private func axes(maximum: Double, categories: [String]) -> String {
        var body = ""
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            let y = y(value, maximum)
            body += #"<line class="grid" x1="\#(f(Self.left))" x2="\#(f(Self.width - Self.right))" y1="\#(f(y))" y2="\#(f(y))"/>"#
            body += #"<text class="tick" x="\#(f(Self.left - 6))" y="\#(f(y + 4))" text-anchor="end">\#(number(value))</text>"#
        }
        let slot = Self.plotWidth / Double(max(categories.count, 1))
        // At most about 12 labels on the axis; every category is in the table.
        let every = max(1, Int((Double(categories.count) / 12).rounded(.up)))
        for (index, category) in categories.enumerated() where index % every == 0 {
            let x = Self.left + slot * (Double(index) + 0.5)
            body += #"<text class="tick" x="\#(f(x))" y="\#(f(Self.height - Self.bottom + 16))" text-anchor="middle">\#(esc(Self.shortDay(category)))</text>"#
        }
        return body
    }

    private func legend(_ series: [Series]) -> String {
        var x = Self.left
        var body = ""
        for one in series {
            body += #"<rect class="\#(one.style)" x="\#(f(x))" y="8" width="12" height="12"/>"#
            body += #"<text class="label" x="\#(f(x + 16))" y="18">\#(esc(one.name))</text>"#
            x += 28 + Double(one.name.count) * 9
        }
        return body
    }

    private func svg(_ body: String, height: Double = ConsoleChart.height) -> String {
        #"<svg class="chart" viewBox="0 0 \#(f(Self.width)) \#(f(height))" role="img" aria-labelledby="\#(id)-title \#(id)-desc" xmlns="http://www.w3.org/2000/svg">"#
            + #"<title id="\#(id)-title">\#(esc(title))</title><desc id="\#(id)-desc">\#(esc(summary))</desc>"# + body + "</svg>"
    }

    /// A round number at or above `value`, for the axis (1, 2, 2.5 or 5 times a power of ten).
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    /// `2026-11-27` → `11-27`.
    static func shortDay(_ day: String) -> String {
        day.count == 10 && day.dropFirst(4).hasPrefix("-") ? String(day.dropFirst(5)) : day
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
    private func number(_ value: Double) -> String { ConsoleFormat.number(value) }
    private func esc(_ text: String) -> String { ConsoleHTML.escape(text) }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
