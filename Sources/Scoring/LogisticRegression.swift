import Foundation

/// Logistic regression of a binary outcome on a few dense features, fitted by iteratively
/// reweighted least squares (Newton's method) with an optional L2 penalty on the slopes; rows
/// with equal features may be fitted once, weighted (``Patterns``).
public struct LogisticRegression: Sendable, Equatable {
    /// Log-odds of the outcome when every feature is 0.
    public let intercept: Double
    /// One slope per feature.
    public let coefficients: [Double]
    /// Newton steps taken.
    public let iterations: Int

    /// Fits `P(outcome) = 1 / (1 + exp(-(intercept + Σ coefficients · x)))`.
    /// - Parameters:
    ///   - columns: one array per feature, each with a value per row.
    ///   - outcomes: the observed outcome of each row.
    ///   - l2: penalty `l2/2 · Σ coefficient²` (the intercept is not penalised).
    public init(columns: [[Double]], outcomes: [Bool], l2: Double = 0, maxIterations: Int = 50,
                tolerance: Double = 1e-10) throws(LogisticRegressionError) {
        let n = outcomes.count
        guard n > 0, columns.allSatisfy({ $0.count == n }) else { throw .shapeMismatch }
        var patterns = Patterns(width: columns.count)
        var row = Array(repeating: 0.0, count: columns.count)
        for i in 0..<n {
            for j in columns.indices { row[j] = columns[j][i] }
            patterns.append(row, positives: outcomes[i] ? 1 : 0, total: 1)
        }
        try self.init(patterns: patterns, l2: l2, maxIterations: maxIterations, tolerance: tolerance)
    }

    /// Distinct rows of feature values, each with how many rows share it and how many of those
    /// had the outcome: the fit of grouped rows equals that of the rows one by one.
    public struct Patterns: Sendable {
        public let width: Int
        /// Row-major, `width` values a pattern.
        public private(set) var values: [Double] = []
        public private(set) var positives: [Double] = []
        public private(set) var totals: [Double] = []

        public init(width: Int) { self.width = width }

        public var count: Int { totals.count }

        public mutating func append(_ row: [Double], positives: Double, total: Double) {
            precondition(row.count == width, "one value per feature")
            values += row
            self.positives.append(positives)
            totals.append(total)
        }

        /// Replaces every pattern's counts (one each, in pattern order).
        public mutating func setCounts(positives: [Double], totals: [Double]) {
            precondition(positives.count == count && totals.count == count, "one count per pattern")
            self.positives = positives
            self.totals = totals
        }
    }

    /// Fits the model to grouped rows (see ``Patterns``), starting Newton's method from `start`
    /// (a fit of the same features with another penalty, say) when given. The penalty is
    /// `l2/2 · Σ (coefficient − prior)²`: it pulls every slope toward `prior`.
    public init(patterns: Patterns, l2: Double = 0, prior: Double = 0, start: LogisticRegression? = nil, maxIterations: Int = 50,
                tolerance: Double = 1e-10) throws(LogisticRegressionError) {
        let p = patterns.width + 1
        let rows = patterns.count
        let positives = patterns.positives.reduce(0, +), n = patterns.totals.reduce(0, +)
        guard rows > 0, n > 0 else { throw .shapeMismatch }
        guard positives > 0, positives < n else { throw .singleClass }

        var beta = Array(repeating: 0.0, count: p)
        beta[0] = log(positives / (n - positives))
        if let start, start.coefficients.count == p - 1 { beta = [start.intercept] + start.coefficients }
        var iterations = 0
        var gradient = Array(repeating: 0.0, count: p)
        var hessian = Array(repeating: 0.0, count: p * p)
        var row = Array(repeating: 1.0, count: p)
        let values = patterns.values, counts = patterns.positives, totals = patterns.totals
        while iterations < maxIterations {
            iterations += 1
            for k in 0..<p { gradient[k] = 0 }
            for k in 0..<p * p { hessian[k] = 0 }
            for i in 0..<rows {
                var eta = beta[0]
                for j in 1..<p {
                    row[j] = values[i * (p - 1) + j - 1]
                    eta += beta[j] * row[j]
                }
                let probability = 1 / (1 + exp(-eta))
                let residual = counts[i] - totals[i] * probability
                let weight = totals[i] * probability * (1 - probability)
                for a in 0..<p {
                    gradient[a] += row[a] * residual
                    let wa = weight * row[a]
                    for b in 0...a { hessian[a * p + b] += wa * row[b] }
                }
            }
            for j in 1..<p {
                gradient[j] -= l2 * (beta[j] - prior)
                hessian[j * p + j] += l2
            }
            for a in 0..<p { for b in 0..<a { hessian[b * p + a] = hessian[a * p + b] } }
            guard let step = Self.solve(hessian, gradient, size: p) else { throw .singular }
            var largest = 0.0
            for k in 0..<p {
                beta[k] += step[k]
                largest = max(largest, abs(step[k]))
            }
            guard beta.allSatisfy(\.isFinite) else { throw .diverged }
            if largest < tolerance { break }
        }
        intercept = beta[0]
        coefficients = Array(beta.dropFirst())
        self.iterations = iterations
    }

    /// Log-odds for one row of feature values.
    public func logOdds(_ features: [Double]) -> Double {
        zip(coefficients, features).reduce(intercept) { $0 + $1.0 * $1.1 }
    }

    /// Solves the symmetric positive definite system `matrix · x = vector` by Cholesky; `nil` when
    /// the matrix is not positive definite.
    private static func solve(_ matrix: [Double], _ vector: [Double], size p: Int) -> [Double]? {
        var lower = Array(repeating: 0.0, count: p * p)
        for i in 0..<p {
            for j in 0...i {
                var sum = matrix[i * p + j]
                for k in 0..<j { sum -= lower[i * p + k] * lower[j * p + k] }
                if i == j {
                    guard sum > 1e-12 * max(1, abs(matrix[i * p + i])) else { return nil }
                    lower[i * p + i] = sum.squareRoot()
                } else {
                    lower[i * p + j] = sum / lower[j * p + j]
                }
            }
        }
        var y = vector
        for i in 0..<p {
            for k in 0..<i { y[i] -= lower[i * p + k] * y[k] }
            y[i] /= lower[i * p + i]
        }
        for i in stride(from: p - 1, through: 0, by: -1) {
            for k in i + 1 ..< p { y[i] -= lower[k * p + i] * y[k] }
            y[i] /= lower[i * p + i]
        }
        return y
    }
}
