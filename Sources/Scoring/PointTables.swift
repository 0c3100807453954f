/// The flat, immutable arrays scoring reads for one segment of a card: per slot of the card's
/// layout a program, and the numeric edges, points and special values of all slots. Held in
/// buffers allocated once so that the hot loop reads them without bounds checks or reference
/// counting.
final class PointTables: @unchecked Sendable {
    // @unchecked: every buffer is written in `init` only and freed in `deinit`.

    /// Where one slot's edges, points and special values live.
    struct Program {
        var isNumeric: Bool
        /// Numeric: interior bin edges `edges[edgeStart ..< edgeStart + edgeCount]`.
        var edgeStart: Int
        var edgeCount: Int
        /// Numeric: points of bin i at `points[pointStart + i]`; categorical: points of code c at
        /// `points[pointStart + c]` and of unlisted values at `points[pointStart + valueCount]`.
        var pointStart: Int
        var valueCount: Int
        var specialStart: Int
        var specialCount: Int
        var missingPoints: Double
        var bestPoints: Double
    }

    let programs: UnsafeMutableBufferPointer<Program>
    /// The slots the segment scores, ascending; the others earn no points and give no reasons.
    let scoredSlots: UnsafeMutableBufferPointer<Int>
    private let edges: UnsafeMutableBufferPointer<Double>
    private let points: UnsafeMutableBufferPointer<Double>
    private let specialValues: UnsafeMutableBufferPointer<Double>
    private let specialPoints: UnsafeMutableBufferPointer<Double>

    /// The tables of a segment's `features`, laid out by `layout` (which holds them all).
    init(features: [ScorecardFeature], layout: FeatureLayout) {
        var programs: [Program] = []
        var scoredSlots: [Int] = []
        var edges: [Double] = []
        var points: [Double] = []
        var specialValues: [Double] = []
        var specialPoints: [Double] = []
        let definitions = Dictionary(uniqueKeysWithValues: features.map { ($0.name, $0) })
        for (slot, kind) in layout.kinds.enumerated() {
            let values: [String] = if case let .categorical(values) = kind { values } else { [] }
            var program = Program(
                isNumeric: kind == .numeric, edgeStart: edges.count, edgeCount: 0, pointStart: points.count,
                valueCount: values.count, specialStart: specialValues.count, specialCount: 0, missingPoints: 0, bestPoints: 0)
            if let feature = definitions[layout.names[slot]] {
                scoredSlots.append(slot)
                program.missingPoints = feature.missingPoints
                program.bestPoints = feature.allPoints.max()!
                switch feature.binning {
                case let .numeric(bins, specials):
                    edges += bins.dropFirst().map(\.lower)
                    points += bins.map(\.points)
                    specialValues += specials.map(\.value)
                    specialPoints += specials.map(\.points)
                    program.edgeCount = bins.count - 1
                    program.specialCount = specials.count
                case let .categorical(groups, other):
                    // By the layout's codes: a value this segment does not list scores its `other`.
                    var byValue: [String: Double] = [:]
                    for group in groups { for value in group.values { byValue[value] = group.points } }
                    points += values.map { byValue[$0] ?? other }
                    points.append(other)
                }
            } else {
                // A slot of another segment: no points whatever its value.
                points += Array(repeating: 0, count: values.count + 1)
            }
            programs.append(program)
        }
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: array.count)
            _ = buffer.initialize(from: array)
            return buffer
        }
        self.programs = copy(programs)
        self.scoredSlots = copy(scoredSlots)
        self.edges = copy(edges)
        self.points = copy(points)
        self.specialValues = copy(specialValues)
        self.specialPoints = copy(specialPoints)
    }

    deinit {
        programs.deallocate()
        scoredSlots.deallocate()
        edges.deallocate()
        points.deallocate()
        specialValues.deallocate()
        specialPoints.deallocate()
    }

    /// The points `value` earns in `slot`.
    @inline(__always)
    func points(for value: FeatureValue, inSlot slot: Int) -> Double {
        points(for: value, programs[slot])
    }

    /// Intercept plus the points of one row of values (one per slot, in slot order), added in the
    /// order of the scored slots, and the row's costliest features.
    @inline(__always)
    func score(row values: UnsafePointer<FeatureValue>, intercept: Double) -> (points: Double, reasons: ReasonList.Tracker) {
        var total = intercept
        var reasons = ReasonList.Tracker()
        for slot in scoredSlots {
            let program = programs[slot]
            let earned = points(for: values[slot], program)
            total += earned
            reasons.offer(slot: slot, pointsLost: program.bestPoints - earned)
        }
        return (total, reasons)
    }

    @inline(__always)
    private func points(for value: FeatureValue, _ program: Program) -> Double {
        switch value {
        case .missing:
            return program.missingPoints
        case let .category(code):
            return points[program.pointStart + (code < 0 ? program.valueCount : Int(code))]
        case let .number(x):
            for s in program.specialStart ..< program.specialStart + program.specialCount where specialValues[s] == x {
                return specialPoints[s]
            }
            return points[program.pointStart + bin(of: x, program)]
        }
    }

    /// Adds slot `slot`'s points of `count` values of one column to `totals`, row by row.
    ///
    /// The column holds numbers, or interned codes for a categorical slot, with NaN for missing
    /// (``FeatureColumns``). Rows go through four at a time in SIMD lanes: each lane starts with the
    /// points of the lowest bin (or of unlisted codes), then each edge in ascending order, each
    /// special value and each listed code replaces them in the lanes where it applies, and missing
    /// lanes get the missing points last. Every step is a comparison and a select, with no branch on
    /// the data, and the lanes get a table's points rather than compute them, so the sums are bit
    /// for bit those of ``score(row:intercept:)``. The last `count % 4` rows are scored one by one.
    @inline(__always)
    func addPoints(slot: Int, column: UnsafePointer<Double>, count: Int, to totals: UnsafeMutablePointer<Double>) {
        let program = programs[slot]
        let table = points.baseAddress! + program.pointStart
        let edges = edges.baseAddress! + program.edgeStart
        let specialValues = specialValues.baseAddress! + program.specialStart
        let specialPoints = specialPoints.baseAddress! + program.specialStart
        let lanes = count - count % Lanes.scalarCount
        if program.isNumeric {
            for row in stride(from: 0, to: lanes, by: Lanes.scalarCount) {
                let x = UnsafeRawPointer(column + row).loadUnaligned(as: Lanes.self)
                var earned = Lanes(repeating: table[0])
                for edge in 0..<program.edgeCount { earned.replace(with: table[edge + 1], where: x .>= edges[edge]) }
                // In reverse, so that the first of equal special values wins, as in `points(for:_:)`.
                for special in (0..<program.specialCount).reversed() {
                    earned.replace(with: specialPoints[special], where: x .== specialValues[special])
                }
                earned.replace(with: program.missingPoints, where: x .!= x)
                add(earned, to: totals + row)
            }
        } else {
            for row in stride(from: 0, to: lanes, by: Lanes.scalarCount) {
                let x = UnsafeRawPointer(column + row).loadUnaligned(as: Lanes.self)
                var earned = Lanes(repeating: table[program.valueCount])
                for code in 0..<program.valueCount { earned.replace(with: table[code], where: x .== Double(code)) }
                earned.replace(with: program.missingPoints, where: x .!= x)
                add(earned, to: totals + row)
            }
        }
        for row in lanes..<count {
            let x = column[row]
            let value: FeatureValue = x.isNaN ? .missing : program.isNumeric ? .number(x) : .category(Int32(x))
            totals[row] += points(for: value, program)
        }
    }

    /// The rows ``addPoints(slot:column:count:to:)`` scores at once.
    private typealias Lanes = SIMD4<Double>

    @inline(__always)
    private func add(_ earned: Lanes, to totals: UnsafeMutablePointer<Double>) {
        let raw = UnsafeMutableRawPointer(totals)
        raw.storeBytes(of: raw.loadUnaligned(as: Lanes.self) + earned, as: Lanes.self)
    }

    /// The bin of `x`: the number of interior edges at or below it (bins are [lower, upper)).
    @inline(__always)
    private func bin(of x: Double, _ program: Program) -> Int {
        let start = program.edgeStart
        let count = program.edgeCount
        // A scorecard's features have a handful of bins: counting the edges at or below x touches
        // one cache line and has no data-dependent branch.
        guard count > Self.linearScanLimit else {
            var bin = 0
            for edge in start ..< start + count { bin &+= edges[edge] <= x ? 1 : 0 }
            return bin
        }
        // Many bins: a binary search whose steps compile to conditional moves rather than branches.
        var base = start
        var length = count
        while length > 1 {
            let half = length >> 1
            if edges[base + half] <= x { base += half }
            length -= half
        }
        return base - start + (edges[base] <= x ? 1 : 0)
    }

    /// Most edges counted one by one.
    private static let linearScanLimit = 8
}
