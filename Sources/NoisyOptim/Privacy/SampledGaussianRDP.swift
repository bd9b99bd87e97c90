// SampledGaussianRDP: the Rényi divergence of the Poisson-subsampled Gaussian mechanism at one
// order α, in log space (Mironov, Talwar and Zhang 2019), the per-step cost the accountant sums.

import Foundation

/// The Rényi-DP curve of one step of the subsampled Gaussian mechanism: each example enters with
/// probability q, the sum of clipped gradients (sensitivity 1 after dividing by C) gets N(0, σ²).
///
/// With μ₀ = N(0, σ²) and μ = (1 − q)·μ₀ + q·N(1, σ²), the step is (α, ε(α))-RDP for
///
///     ε(α) = log A_α / (α − 1),   A_α = E_{z∼μ₀}[(μ(z)/μ₀(z))^α]
///
/// (Mironov, Talwar and Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian
/// Mechanism", arXiv:1908.10530, Section 3.3). For an integer α the binomial expansion is finite:
///
///     A_α = Σ_{i=0}^{α} C(α, i)·qⁱ(1 − q)^{α−i}·exp((i² − i)/(2σ²)).
///
/// For a fractional α the expansion is split at z₀ = σ²·log(1/q − 1) + ½ into two series over
/// i = 0, 1, 2, … (with j = α − i and C(α, i) the generalized binomial, whose sign alternates once
/// i > α + 1):
///
///     A_α = Σᵢ C(α, i)·[ qⁱ(1 − q)ʲ·e^{(i² − i)/(2σ²)}·½·erfc((i − z₀)/(√2σ))
///                      + qʲ(1 − q)ⁱ·e^{(j² − j)/(2σ²)}·½·erfc((z₀ − j)/(√2σ)) ],
///
/// summed until both terms fall below e⁻³⁰ (the cut-off Opacus and TF Privacy use, so the results
/// agree with theirs). Every term is formed and added as a logarithm, so neither eˣ of a large
/// exponent nor a vanishing erfc underflows or overflows.
enum SampledGaussianRDP {
    /// ε(α) of one step with sampling rate `q` ∈ [0, 1], noise multiplier `sigma` ≥ 0 and order
    /// `alpha` > 1: 0 when q = 0, ∞ when σ = 0, α/(2σ²) when q = 1 (the Gaussian mechanism
    /// itself), log A_α/(α − 1) otherwise.
    static func divergence(samplingRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        check(q >= 0 && q <= 1, "the sampling rate q must be in [0, 1], got \(q)")
        check(sigma >= 0, "the noise multiplier σ must be ≥ 0, got \(sigma)")
        check(alpha > 1, "a Rényi order α must be > 1, got \(alpha)")
        if q == 0 { return 0 }
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * sigma * sigma) }
        if alpha.isInfinite { return .infinity }
        let logA = alpha == alpha.rounded() ? logAIntegerOrder(q: q, sigma: sigma, alpha: Int(alpha))
                                            : logAFractionalOrder(q: q, sigma: sigma, alpha: alpha)
        return logA / (alpha - 1)
    }

    /// log A_α for an integer α: a log-sum-exp over the α + 1 binomial terms.
    static func logAIntegerOrder(q: Double, sigma: Double, alpha: Int) -> Double {
        let logQ = log(q), log1mQ = log1p(-q), twoSigmaSquared = 2 * sigma * sigma
        let a = Double(alpha)
        var logA = -Double.infinity
        for i in 0...alpha {
            let k = Double(i)
            let logBinomial = lgamma(a + 1) - lgamma(k + 1) - lgamma(a - k + 1)
            let term = logBinomial + k * logQ + (a - k) * log1mQ + (k * k - k) / twoSigmaSquared
            logA = logAdd(logA, term)
        }
        return logA
    }

    /// log A_α for a fractional α: the two erfc-weighted series, each kept as a log-magnitude
    /// while the generalized binomial's sign decides between adding and subtracting a term.
    static func logAFractionalOrder(q: Double, sigma: Double, alpha: Double) -> Double {
        let logQ = log(q), log1mQ = log1p(-q), twoSigmaSquared = 2 * sigma * sigma
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        let scale = 2.squareRoot() * sigma
        var lower = -Double.infinity, upper = -Double.infinity // the parts below and above z₀
        // log|C(α, i)| and its sign, updated by C(α, i) = C(α, i − 1)·(α − i + 1)/i.
        var logBinomial = 0.0, positive = true
        var i = 0
        while true {
            if i > 0 {
                let factor = alpha - Double(i) + 1
                logBinomial += log(abs(factor)) - log(Double(i))
                if factor < 0 { positive.toggle() }
            }
            let k = Double(i), j = alpha - k
            let logT0 = logBinomial + k * logQ + j * log1mQ
            let logT1 = logBinomial + j * logQ + k * log1mQ
            let logE0 = log(0.5) + logErfc((k - z0) / scale)
            let logE1 = log(0.5) + logErfc((z0 - j) / scale)
            let logS0 = logT0 + (k * k - k) / twoSigmaSquared + logE0
            let logS1 = logT1 + (j * j - j) / twoSigmaSquared + logE1
            if positive {
                lower = logAdd(lower, logS0)
                upper = logAdd(upper, logS1)
            } else {
                lower = logSubtract(lower, logS0)
                upper = logSubtract(upper, logS1)
            }
            i += 1
            if max(logS0, logS1) < -30 { break }
        }
        return logAdd(lower, upper)
    }

    // MARK: - Log-space arithmetic

    /// log(eˣ + eʸ) without overflow: the larger plus log1p of the smaller's ratio.
    @inline(__always)
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let (small, large) = x < y ? (x, y) : (y, x)
        if small == -.infinity { return large }
        return large + log1p(exp(small - large))
    }

    /// log(eˣ − eʸ) for x ≥ y; −∞ when the difference is 0 or (by rounding) negative. Near x = y
    /// log(expm1(x − y)) + y keeps the digits that x + log1p(−e^{y−x}) would cancel; far apart,
    /// the second form cannot overflow.
    @inline(__always)
    static func logSubtract(_ x: Double, _ y: Double) -> Double {
        if y == -.infinity { return x }
        if x <= y { return -.infinity }
        let gap = x - y
        return gap < 1 ? log(expm1(gap)) + y : x + log1p(-exp(-gap))
    }

    /// log(erfc(x)), accurate where erfc(x) underflows: glibc's erfc is accurate to an ulp or so
    /// while erfc(x) ≥ 10⁻²⁹⁰ (x < 26); beyond, the asymptotic series
    /// erfc(x) = e^{−x²}/(x√π)·(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + …), whose next term is below
    /// 10⁻¹³ there.
    static func logErfc(_ x: Double) -> Double {
        if x < 26 { return log(erfc(x)) }
        let u = 1 / (2 * x * x)
        let series = 1 - u * (1 - 3 * u * (1 - 5 * u * (1 - 7 * u)))
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }
}
