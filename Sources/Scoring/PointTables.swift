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
        let program = programs[slot]
        switch value {
        case .missing:
            return program.missingPoints
        case let .category(code):
            return points[program.pointStart + (code < 0 ? program.valueCount : Int(code))]
        case let .number(x):
            for s in program.specialStart ..< program.specialStart + program.specialCount where specialValues[s] == x {
                return specialPoints[s]
            }
            // Bin index = number of interior edges <= x (bins are [lower, upper)), by a binary
            // search whose steps compile to conditional moves rather than branches.
            guard program.edgeCount > 0 else { return points[program.pointStart] }
            var base = program.edgeStart
            var length = program.edgeCount
            while length > 1 {
                let half = length >> 1
                if edges[base + half] <= x { base += half }
                length -= half
            }
            let bin = base - program.edgeStart + (edges[base] <= x ? 1 : 0)
            return points[program.pointStart + bin]
        }
    }
}
