// ChainStatistics: what the sampler tests need to judge a Markov chain — the Monte-Carlo error of
// a mean by batch means, and the exact stationary covariance of a linear chain.

import Foundation

/// The mean of a chain's series and its Monte-Carlo standard error by batch means: the series is
/// cut into B consecutive batches and SE² = Var(batch means)/B. The batches (n/B steps each) must be
/// much longer than the autocorrelation time τ; then τ̂ = (n/B)·Var(batch means)/Var(series) and
/// the effective sample size is n/τ̂. With B = 40 the SE itself is known to ±1/√(2·39) ≈ 11%.
struct BatchMeans {
    let mean: Double
    let standardError: Double
    let autocorrelationTime: Double
    var effectiveSampleSize: Double

    init(_ series: [Double], batches: Int = 40) {
        let n = series.count, size = n / batches
        let mean = series.reduce(0, +) / Double(n)
        let batchMeans = (0..<batches).map { b in series[(b * size)..<((b + 1) * size)].reduce(0, +) / Double(size) }
        let spread = batchMeans.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)
        let variance = series.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        self.mean = mean
        standardError = (spread / Double(batches)).squareRoot()
        autocorrelationTime = Double(size) * spread / variance
        effectiveSampleSize = Double(n) / autocorrelationTime
    }
}

/// Small dense matrices in Double, row-major, for the tests' closed forms.
enum Dense {
    static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { for j in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] } } }
        return c
    }

    static func transpose(_ a: [Double], _ n: Int) -> [Double] {
        var t = a
        for i in 0..<n { for j in 0..<n { t[j * n + i] = a[i * n + j] } }
        return t
    }

    /// A⁻¹ by Gauss–Jordan elimination with partial pivoting.
    static func inverse(_ a: [Double], _ n: Int) -> [Double] {
        var m = a, inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for k in 0..<n {
            let p = (k..<n).max { abs(m[$0 * n + k]) < abs(m[$1 * n + k]) }!
            for j in 0..<n { m.swapAt(k * n + j, p * n + j); inv.swapAt(k * n + j, p * n + j) }
            let pivot = m[k * n + k]
            for j in 0..<n { m[k * n + j] /= pivot; inv[k * n + j] /= pivot }
            for i in 0..<n where i != k {
                let f = m[i * n + k]
                for j in 0..<n { m[i * n + j] -= f * m[k * n + j]; inv[i * n + j] -= f * inv[k * n + j] }
            }
        }
        return inv
    }

    /// The stationary covariance S = A·S·Aᵀ + Q of the linear chain xₜ₊₁ = A·xₜ + ξₜ, Cov ξ = Q
    /// (spectral radius of A below 1), by doubling: S = Σₖ AᵏQAᵏᵀ summed 2ʲ terms at a time.
    static func stationaryCovariance(transition a: [Double], noise q: [Double], _ n: Int) -> [Double] {
        var s = q, power = a
        for _ in 0..<40 {
            s = zip(s, multiply(multiply(power, s, n), transpose(power, n), n)).map { $0 + $1 }
            power = multiply(power, power, n)
        }
        return s
    }
}
