// SparseGaussianSampling: full-batch weights 1/n with Gaussian noise on B randomly placed
// examples, the "MSGD-[Fisher-B]" and "MSGD-[Cov-B]" classes of Wu et al. 2020.

/// Multiplicative SGD with sparse Gaussian noise: every example keeps its mean weight 1/n, and
/// Gaussian noise is added to the weights of B examples chosen at random each step (Wu et al.
/// 2020, "On the noisy gradient descent that generalizes as SGD", ICML: "MSGD-[Fisher-B]" and
/// "MSGD-[Cov-B]").
///
/// With S a uniformly random B-subset of 0..<n and ε ~ N(0, I_B) drawn afresh each step,
///
///     W = (1 + σ ξ) / n,   ξ = 0 off S,   on S:  ξ = ε − ε̄ 1  (full)  or  ξ = ε  (diagonal).
///
/// The definition is that of the code the authors released with the paper (their FashionMNIST
/// experiments `gdStoF.py`, `gdStoCov.py`: a mask of 1s plus σ-scaled normals, centred or not, on
/// `noisesize` = B random entries, averaged over the n examples). Averaging over the random
/// support (P(i ∈ S) = B/n, P(i, j ∈ S) = B(B − 1)/(n(n − 1)); within S, Var[ξᵢ] = 1 − 1/B and
/// Cov[ξᵢ, ξⱼ] = −1/B when centred) gives E[W] = 1/n and
///
///     full:      Cov[W] = σ² (B − 1) / (n³ (n − 1)) · (n I − 11ᵀ),   Σᵢ Wᵢ = 1
///     diagonal:  Cov[W] = σ² B / n³ · I.
///
/// Imitating SGD with batch size b, Cov[W] = (n − b)/(b n² (n − 1)) · (n I − 11ᵀ), sets
///
///     full:      σ² = n (n − b) / (b (B − 1))   — the whole matrix matches (needs B ≥ 2)
///     diagonal:  σ² = n (n − b) / (b B)          — the diagonal (n − b)/(b n²) matches
///
/// and B = n recovers `GaussianSampling` (σ² = n(n − b)/(b(n − 1)) and (n − b)/b).
///
/// W is dense — every example has weight ≈ 1/n — so `sample` lists all n and a step evaluates all
/// n examples: it is gradient descent whose noise, not whose batch, is sparse. Only B normals are
/// drawn. For a class that evaluates only B examples, see `MiniBatchGaussianSampling`.
public struct SparseGaussianSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// B, the number of examples whose weight gets noise each step.
    public let support: Int
    /// σ, the scale of the noise in units of the mean weight 1/n (see the type's formulas).
    public let sigma: Double
    /// Whether the noise is centred over the B examples (`.full`) or not (`.diagonal`).
    public let covariance: SamplingCovariance

    /// Noise of scale σ on `support` random examples.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1, 1 ≤ B ≤ n (2 ≤ B for `.full`, since
    ///   noise centred over one example is 0), and σ is finite and ≥ 0.
    public init(exampleCount: Int, support: Int, sigma: Double, covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.noiseSupport(support, "support", exampleCount: exampleCount, covariance: covariance)
        try SamplingCheck.sigma(sigma)
        self.exampleCount = exampleCount
        self.support = support
        self.sigma = sigma
        self.covariance = covariance
    }

    /// Noise on `support` random examples with σ set so that Cov[W] matches mini-batch SGD with
    /// batch size b: all of it for `.full` (σ² = n(n − b)/(b(B − 1))), its diagonal for
    /// `.diagonal` (σ² = n(n − b)/(b B)).
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1, 1 ≤ b ≤ n, and B is valid as above.
    public init(exampleCount: Int, support: Int, imitatingBatchSize batchSize: Int,
                covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.count(batchSize, "imitatingBatchSize", atMost: exampleCount, "the example count")
        let n = Double(exampleCount), b = Double(batchSize), supportSize = Double(support)
        let variance: Double
        switch covariance {
        case .full: variance = support >= 2 ? n * (n - b) / (b * (supportSize - 1)) : 0 // B < 2 is rejected below
        case .diagonal: variance = support >= 1 ? n * (n - b) / (b * supportSize) : 0
        }
        try self.init(exampleCount: exampleCount, support: support, sigma: variance.squareRoot(), covariance: covariance)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      support: container.decode(Int.self, forKey: .support),
                      sigma: container.decode(Double.self, forKey: .sigma),
                      covariance: container.decode(SamplingCovariance.self, forKey: .covariance))
    }

    /// A fresh W over all n examples (indices 0..<n in order): 1/n everywhere, noisy on B of them.
    /// Draws the support first (as `SGDSampling` draws a batch), then B normals.
    ///
    /// - Complexity: O(n) to write W, O(B) random draws.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        let n = exampleCount
        let positions = randomPrefixOfPermutation(count: support, of: n, using: &generator)
        // (1 + σξ)/n = 1/n + (σ/n)(ε − ε̄) on the B drawn examples.
        let noise = noisyWeights(count: support, sigma: sigma, covariance: covariance, meanWeightOver: n, using: &generator)
        var weights = [Float](repeating: 1 / Float(n), count: n)
        for (position, weight) in zip(positions, noise) { weights[position] = weight }
        return SampleWeights(exampleCount: n, indices: allExamples(n), weights: weights)
    }

    /// Cov[Wᵢ, Wⱼ] in closed form (see the type's documentation).
    public func covariance(_ i: Int, _ j: Int) -> Double {
        check(0 <= i && i < exampleCount && 0 <= j && j < exampleCount,
                     "covariance(\(i), \(j)) outside 0..<\(exampleCount)")
        let n = Double(exampleCount), supportSize = Double(support), s2 = sigma * sigma
        switch covariance {
        case .full: // B ≥ 2, so n ≥ 2
            return s2 * (supportSize - 1) * (i == j ? n - 1 : -1) / (n * n * n * (n - 1))
        case .diagonal:
            return i == j ? s2 * supportSize / (n * n * n) : 0
        }
    }
}
