/// The flat, immutable arrays scoring reads: per slot a program, and the numeric edges, points and
/// special values of all slots. Held in buffers allocated once so that the hot loop reads them
/// without bounds checks or reference counting.
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
    private let edges: UnsafeMutableBufferPointer<Double>
    private let points: UnsafeMutableBufferPointer<Double>
    private let specialValues: UnsafeMutableBufferPointer<Double>
    private let specialPoints: UnsafeMutableBufferPointer<Double>

    init(features: [ScorecardFeature]) {
        var programs: [Program] = []
        var edges: [Double] = []
        var points: [Double] = []
        var specialValues: [Double] = []
        var specialPoints: [Double] = []
        for feature in features {
            var program = Program(
                isNumeric: feature.isNumeric, edgeStart: edges.count, edgeCount: 0, pointStart: points.count,
                valueCount: 0, specialStart: specialValues.count, specialCount: 0,
                missingPoints: feature.missingPoints, bestPoints: feature.allPoints.max()!
            )
            switch feature.binning {
            case let .numeric(bins, specials):
                edges += bins.dropFirst().map(\.lower)
                points += bins.map(\.points)
                specialValues += specials.map(\.value)
                specialPoints += specials.map(\.points)
                program.edgeCount = bins.count - 1
                program.specialCount = specials.count
            case let .categorical(groups, other):
                for group in groups { points += Array(repeating: group.points, count: group.values.count) }
                points.append(other)
                program.valueCount = groups.reduce(0) { $0 + $1.values.count }
            }
            programs.append(program)
        }
        func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: array.count)
            _ = buffer.initialize(from: array)
            return buffer
        }
        self.programs = copy(programs)
        self.edges = copy(edges)
        self.points = copy(points)
        self.specialValues = copy(specialValues)
        self.specialPoints = copy(specialPoints)
    }

    deinit {
        programs.deallocate()
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

    /// Intercept plus the points of one row of values (one per slot, in slot order), added in slot
    /// order, and the row's costliest features.
    @inline(__always)
    func score(row values: UnsafePointer<FeatureValue>, intercept: Double) -> (points: Double, reasons: ReasonList.Tracker) {
        var total = intercept
        var reasons = ReasonList.Tracker()
        for slot in programs.indices {
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

    /// Adds slot `slot`'s points of `count` values of one column to `totals`, row by row;
    /// `bins` is scratch space for `count` bin numbers.
    ///
    /// The column holds numbers, or interned codes for a categorical slot, with NaN for missing
    /// (``FeatureColumns``). Edges are compared edge by edge over all rows, and every choice is a
    /// select rather than a branch, so the loops vectorise and run at the same speed whatever the data.
    @inline(__always)
    func addPoints(
        slot: Int, column: UnsafePointer<Double>, count: Int, to totals: UnsafeMutablePointer<Double>, bins: UnsafeMutablePointer<Int>
    ) {
        let program = programs[slot]
        let missing = program.missingPoints
        let table = points.baseAddress! + program.pointStart
        if !program.isNumeric {
            let other = program.valueCount
            for row in 0..<count {
                let value = column[row]
                let code = Int(value.isNaN ? -1 : value)
                let earned = table[code < 0 ? other : code]
                totals[row] += value.isNaN ? missing : earned
            }
            return
        }
        guard program.specialCount == 0 else {
            for row in 0..<count {
                let value = column[row]
                totals[row] += value.isNaN ? missing : points(for: .number(value), program)
            }
            return
        }
        bins.update(repeating: 0, count: count)
        for edge in edges[program.edgeStart ..< program.edgeStart + program.edgeCount] {
            for row in 0..<count { bins[row] &+= edge <= column[row] ? 1 : 0 }
        }
        for row in 0..<count {
            let value = column[row]
            let earned = table[bins[row]]
            totals[row] += value.isNaN ? missing : earned
        }
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
