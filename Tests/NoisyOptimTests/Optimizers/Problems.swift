// Problems: quadratics with a chosen condition number, stochastic least squares, and least squares
// on the bundled diabetes data — each with its minimizer in closed form, for the convergence table.

import Foundation
import Testing
@testable import NoisyOptim

/// f(x) = ½ xᵀAx − bᵀx with A = Q·diag(λ)·Qᵀ symmetric positive definite, or the least-squares loss
/// (1/2n)‖Xw − y‖² = ½ wᵀ(XᵀX/n)w − (Xᵀy/n)ᵀw + const, which is the same thing. Gradients are
/// computed in Double from the Float iterate, so the only Float error is the optimizer's own.
struct Quadratic: Sendable {
    let name: String
    let dimension: Int
    /// A, row-major, dimension².
    let hessian: [Double]
    let linear: [Double]
    /// x* = A⁻¹b.
    let minimizer: [Double]
    /// The extreme eigenvalues μ = λ_min and L = λ_max.
    let smallest: Double, largest: Double
    var conditionNumber: Double { largest / smallest }

    /// ∇f(x) = Ax − b.
    func gradient(at x: [Float]) -> [Float] {
        var g = [Float](repeating: 0, count: dimension)
        for i in 0..<dimension {
            var s = -linear[i]
            for j in 0..<dimension { s += hessian[i * dimension + j] * Double(x[j]) }
            g[i] = Float(s)
        }
        return g
    }

    func loss(at x: [Float]) -> Float {
        let g = gradient(at: x)
        // f(x) = ½xᵀ(Ax − b) − ½bᵀx.
        var f = 0.0
        for i in 0..<dimension { f += 0.5 * Double(x[i]) * (Double(g[i]) - linear[i]) }
        return Float(f)
    }

    /// ‖x − x*‖ / ‖x*‖.
    func relativeError(_ x: [Float]) -> Double {
        var e = 0.0, m = 0.0
        for i in 0..<dimension {
            e += (Double(x[i]) - minimizer[i]) * (Double(x[i]) - minimizer[i])
            m += minimizer[i] * minimizer[i]
        }
        return (e / m).squareRoot()
    }

    /// The objective a closure step calls: the full gradient, whatever W is.
    func objective(_ point: Tensor, _ weights: SampleWeights) -> (loss: Float, gradient: Tensor) {
        let x = point.scalars
        return (loss(at: x), Tensor(gradient(at: x)))
    }

    /// A = Q·diag(λ)·Qᵀ with λ log-spaced from 1 to κ and Q a product of `dimension` Householder
    /// reflections of seeded random vectors; x* has entries uniform in [−1, 1).
    static func conditioned(_ kappa: Double, dimension: Int = 50, seed: UInt64 = 1) -> Quadratic {
        var random = TestGenerator(seed: seed)
        let n = dimension
        let lambdas = (0..<n).map { kappa == 1 ? 1 : pow(kappa, Double($0) / Double(n - 1)) }
        // Q = H₁H₂⋯Hₙ, each H = I − 2vvᵀ/vᵀv, applied to the identity column by column.
        var q = [Double](repeating: 0, count: n * n)
        for i in 0..<n { q[i * n + i] = 1 }
        for _ in 0..<n {
            let v = (0..<n).map { _ in Double(random.nextFloat()) }
            let vv = v.reduce(0) { $0 + $1 * $1 }
            for column in 0..<n {
                var dot = 0.0
                for i in 0..<n { dot += v[i] * q[i * n + column] }
                for i in 0..<n { q[i * n + column] -= 2 * dot / vv * v[i] }
            }
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += q[i * n + k] * lambdas[k] * q[j * n + k] }
                a[i * n + j] = s
            }
        }
        let minimizer = (0..<n).map { _ in Double(random.nextFloat()) }
        let b = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + a[i * n + $1] * minimizer[$1] } }
        return Quadratic(name: "quadratic κ=\(Int(kappa))", dimension: n, hessian: a, linear: b,
                         minimizer: minimizer, smallest: lambdas.min()!, largest: lambdas.max()!)
    }
}

/// Least squares with one example per row: ℓᵢ(w) = ½(xᵢᵀw − yᵢ)², L(w) = Σᵢ Wᵢ ℓᵢ(w), so a
/// sampling vector W picks and weighs rows.
struct LeastSquares: Sendable {
    let name: String
    let rows: Int, columns: Int
    /// X, row-major.
    let features: [Double]
    let targets: [Double]
    /// The full-batch problem (W = 1/n on every row) as a quadratic, with its minimizer.
    let full: Quadratic

    /// Σᵢ Wᵢ ℓᵢ(w) and its gradient Σᵢ Wᵢ (xᵢᵀw − yᵢ) xᵢ, accumulated in W's order.
    func lossAndGradient(at w: [Float], weights: SampleWeights) -> (loss: Float, gradient: [Float]) {
        var loss = 0.0
        var g = [Double](repeating: 0, count: columns)
        for (i, weight) in zip(weights.indices, weights.weights) {
            var r = -targets[i]
            for j in 0..<columns { r += features[i * columns + j] * Double(w[j]) }
            loss += Double(weight) * 0.5 * r * r
            for j in 0..<columns { g[j] += Double(weight) * r * features[i * columns + j] }
        }
        return (Float(loss), g.map { Float($0) })
    }

    func objective(_ point: Tensor, _ weights: SampleWeights) -> (loss: Float, gradient: Tensor) {
        let (loss, g) = lossAndGradient(at: point.scalars, weights: weights)
        return (loss, Tensor(g))
    }

    init(name: String, rows: Int, columns: Int, features: [Double], targets: [Double]) {
        self.name = name
        self.rows = rows
        self.columns = columns
        self.features = features
        self.targets = targets
        // Normal equations in Double: (XᵀX/n) w* = Xᵀy/n.
        var h = [Double](repeating: 0, count: columns * columns)
        var c = [Double](repeating: 0, count: columns)
        for i in 0..<rows {
            for j in 0..<columns {
                c[j] += features[i * columns + j] * targets[i] / Double(rows)
                for k in 0..<columns { h[j * columns + k] += features[i * columns + j] * features[i * columns + k] / Double(rows) }
            }
        }
        let w = LeastSquares.solve(h, c, n: columns)
        let (low, high) = LeastSquares.extremeEigenvalues(h, n: columns)
        full = Quadratic(name: name, dimension: columns, hessian: h, linear: c, minimizer: w, smallest: low, largest: high)
    }

    /// Gaussian elimination with partial pivoting, in Double.
    static func solve(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var a = a, b = b
        for k in 0..<n {
            let pivot = (k..<n).max { abs(a[$0 * n + k]) < abs(a[$1 * n + k]) }!
            for j in 0..<n { a.swapAt(k * n + j, pivot * n + j) }
            b.swapAt(k, pivot)
            for i in (k + 1)..<n {
                let f = a[i * n + k] / a[k * n + k]
                for j in k..<n { a[i * n + j] -= f * a[k * n + j] }
                b[i] -= f * b[k]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = b[i]
            for j in (i + 1)..<n { s -= a[i * n + j] * x[j] }
            x[i] = s / a[i * n + i]
        }
        return x
    }

    /// λ_max by power iteration, λ_min by power iteration on λ_max·I − A.
    static func extremeEigenvalues(_ a: [Double], n: Int) -> (Double, Double) {
        func largest(_ m: [Double]) -> Double {
            var v = [Double](repeating: 1, count: n), lambda = 0.0
            for _ in 0..<5000 {
                var w = [Double](repeating: 0, count: n)
                for i in 0..<n { for j in 0..<n { w[i] += m[i * n + j] * v[j] } }
                let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
                lambda = zip(v, w).reduce(0) { $0 + $1.0 * $1.1 } / v.reduce(0) { $0 + $1 * $1 }
                v = w.map { $0 / norm }
            }
            return lambda
        }
        let high = largest(a)
        var shifted = a.map { -$0 }
        for i in 0..<n { shifted[i * n + i] += high }
        return (high - largest(shifted), high)
    }

    /// A consistent system: y = Xw* exactly for seeded Gaussian-ish X, so SGD with a constant
    /// learning rate converges to w* (every example's loss is minimal there).
    static func synthetic(rows: Int = 128, columns: Int = 10, seed: UInt64 = 3) -> LeastSquares {
        var random = TestGenerator(seed: seed)
        let x = (0..<(rows * columns)).map { _ in Double(random.nextFloat() + random.nextFloat()) }
        let w = (0..<columns).map { _ in Double(random.nextFloat()) }
        let y = (0..<rows).map { i in (0..<columns).reduce(0.0) { $0 + x[i * columns + $1] * w[$1] } }
        return LeastSquares(name: "stochastic least squares", rows: rows, columns: columns, features: x, targets: y)
    }

    /// The diabetes data (442 patients × 10 measurements, Efron et al. 2004), features standardized,
    /// an intercept column appended; the target is the disease progression a year later.
    static func diabetes(filePath: String = #filePath) throws -> LeastSquares {
        let resources = URL(fileURLWithPath: filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Sources/noisyoptim-demo/Resources").standardized
        let raw = try String(contentsOf: resources.appendingPathComponent("diabetes_data_raw.csv"), encoding: .utf8)
        let target = try String(contentsOf: resources.appendingPathComponent("diabetes_target.csv"), encoding: .utf8)
        let rows = raw.split(separator: "\n").map { $0.split(separator: " ").map { Double($0)! } }
        let y = target.split(separator: "\n").map { Double($0.trimmingCharacters(in: .whitespaces))! }
        let n = rows.count, d = rows[0].count
        var x = [Double](repeating: 1, count: n * (d + 1))
        for j in 0..<d {
            let mean = rows.reduce(0) { $0 + $1[j] } / Double(n)
            let sd = (rows.reduce(0) { $0 + ($1[j] - mean) * ($1[j] - mean) } / Double(n)).squareRoot()
            for i in 0..<n { x[i * (d + 1) + j] = (rows[i][j] - mean) / sd }
        }
        return LeastSquares(name: "diabetes least squares", rows: n, columns: d + 1, features: x, targets: y)
    }
}

/// Steps `optimizer` from `start` with the closure step until `error` ≤ `tolerance`; returns the
/// number of steps taken, or nil if `budget` steps did not suffice.
func stepsToTolerance<O: Optimizer>(
    _ optimizer: inout O, start: [Float], budget: Int, tolerance: Double,
    error: ([Float]) -> Double, objective: Objective
) throws -> (steps: Int?, final: [Float]) {
    var x = Tensor(start)
    for t in 0...budget {
        if error(x.scalars) <= tolerance { return (t, x.scalars) }
        if t == budget { break }
        try optimizer.step(&x, objective: objective)
    }
    return (nil, x.scalars)
}
