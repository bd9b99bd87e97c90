// BernoulliSampling: each example kept independently with probability p, the "MSGD-Bernoulli"
// class of Wu et al. 2020.

import Foundation

/// Multiplicative SGD with Bernoulli sampling noise: each example enters the step independently
/// with probability p, with weight 1/(n p) (Wu et al. 2020, "On the noisy gradient descent that
/// generalizes as SGD", ICML: "MSGD-Bernoulli").
///
///     Wᵢ = zᵢ / (n p),  zᵢ ~ Bernoulli(p) independent,   E[W] = 1/n,
///     Cov[W] = (1 − p) / (n² p) · I.
///
/// Writing Wᵢ = (1 + σ ζᵢ)/n with ζᵢ = (zᵢ/p − 1)/σ standardized (mean 0, variance 1) shows it is the
/// diagonal ("Fisher") Gaussian class with the Gaussian replaced by a two-point law, with
///
///     σ² = (1 − p) / p,   i.e.  p = 1 / (1 + σ²).
///
/// Imitating batch size b sets p = b/n, so σ² = (n − b)/b and Var[Wᵢ] = (n − b)/(b n²): the
/// diagonal of SGD's covariance, while the off-diagonal is 0 instead of −(n − b)/(b n² (n − 1)).
/// The number of examples kept is Binomial(n, p), b on average, and possibly 0 (then W = 0 and the
/// step's gradient is 0; it happens with probability (1 − p)ⁿ).
///
/// A sparse class: `sample` lists only the kept examples, in increasing order, so a step evaluates
/// about n p of them.
public struct BernoulliSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// p, the probability that an example enters a step.
    public let keepProbability: Double

    /// Each example kept with probability `keepProbability`.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1, 0 < p ≤ 1 and the weight 1/(n p)
    ///   of a kept example is a finite Float32.
    public init(exampleCount: Int, keepProbability: Double) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.keepProbability(keepProbability, exampleCount: exampleCount, name: "keepProbability",
                                          value: keepProbability,
                                          requirement: "0 < keepProbability ≤ 1 with the weight 1/(n·keepProbability) a finite Float32")
        self.exampleCount = exampleCount
        self.keepProbability = keepProbability
    }

    /// Keeps each example with probability p = b/n, matching the diagonal of SGD's covariance at
    /// batch size b.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1 and 1 ≤ b ≤ n.
    public init(exampleCount: Int, imitatingBatchSize batchSize: Int) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.count(batchSize, "imitatingBatchSize", atMost: exampleCount, "the example count")
        try self.init(exampleCount: exampleCount, keepProbability: Double(batchSize) / Double(exampleCount))
    }

    /// Bernoulli noise of relative scale σ: p = 1/(1 + σ²), so that Var[Wᵢ] = σ²/n² as for the
    /// diagonal Gaussian class of the same σ.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1, σ ≥ 0 and the weight
    ///   1/(n p) = (1 + σ²)/n is a finite Float32 (σ up to about 1.8·10¹⁹·√n); a σ beyond that is
    ///   the value named, not the p it would give.
    public init(exampleCount: Int, sigma: Double) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.sigma(sigma)
        let p = 1 / (1 + sigma * sigma)
        try SamplingCheck.keepProbability(p, exampleCount: exampleCount, name: "sigma", value: sigma,
                                          requirement: "(1 + sigma²)/exampleCount, the weight of a kept example, a finite Float32")
        try self.init(exampleCount: exampleCount, keepProbability: p)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      keepProbability: container.decode(Double.self, forKey: .keepProbability))
    }

    /// σ = √((1 − p)/p), the standard deviation of n·Wᵢ.
    public var sigma: Double { ((1 - keepProbability) / keepProbability).squareRoot() }

    /// A fresh W: the kept examples in increasing order, each with weight 1/(n p).
    ///
    /// The kept set is drawn by skipping: the number of examples passed over before the next kept
    /// one is ⌊ln U / ln(1 − p)⌋ with U uniform on (0, 1], which is Geometric(p) (it equals k
    /// exactly when (1 − p)^(k+1) < U ≤ (1 − p)^k). So each example is kept independently with
    /// probability p, as with one coin per example, but the work is one uniform per kept example,
    /// O(n p) = O(b), instead of n. U has 53 random bits, so the law is exact up to 2⁻⁵³.
    ///
    /// - Complexity: O(n p) expected.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        let n = exampleCount
        let weight = Float(1 / (Double(n) * keepProbability))
        if keepProbability == 1 {
            return SampleWeights(exampleCount: n, indices: allExamples(n), weights: [Float](repeating: weight, count: n))
        }
        let logOfMiss = log1p(-keepProbability) // ln(1 − p) < 0, accurate for small p
        var kept = [Int]()
        kept.reserveCapacity(Int((Double(n) * keepProbability).rounded(.up)) + 16)
        var position = 0 // the next example that could be kept
        while true {
            let u = (Double(generator.next() >> 11) + 1) * 0x1p-53 // (0, 1]
            let skip = log(u) / logOfMiss // ≥ 0; may be huge when p is tiny
            if skip >= Double(n - position) { break }
            position += Int(skip)
            kept.append(position)
            position += 1
            if position >= n { break }
        }
        return SampleWeights(exampleCount: n, indices: kept, weights: [Float](repeating: weight, count: kept.count))
    }

    /// Cov[Wᵢ, Wⱼ] = δᵢⱼ (1 − p)/(n² p) (see the type's documentation).
    public func covariance(_ i: Int, _ j: Int) -> Double {
        check(0 <= i && i < exampleCount && 0 <= j && j < exampleCount,
                     "covariance(\(i), \(j)) outside 0..<\(exampleCount)")
        let n = Double(exampleCount)
        return i == j ? (1 - keepProbability) / (n * n * keepProbability) : 0
    }
}
