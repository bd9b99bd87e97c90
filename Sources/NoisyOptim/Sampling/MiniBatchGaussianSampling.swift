// MiniBatchGaussianSampling: a mini-batch of B examples whose weights 1/B carry Gaussian noise,
// the "[MSGD-Fisher]-B" and "[MSGD-Cov]-B" classes Wu et al. 2020 use for large-batch training.

/// Multiplicative SGD on a mini-batch: B examples drawn without replacement, and on them the
/// Gaussian weights of `GaussianSampling` (Wu et al. 2020, "On the noisy gradient descent that
/// generalizes as SGD", ICML: "[MSGD-Fisher]-B" and "[MSGD-Cov]-B", the variant that lets a large
/// batch B generalize like a small batch b).
///
/// With S the batch (a uniformly random B-subset, drawn as `SGDSampling` draws it) and
/// ε ~ N(0, I_B) drawn afresh each step,
///
///     Wᵢ = (1 + σ ξᵢ) / B on S, 0 off S,   ξ = ε − ε̄ 1  (full)  or  ξ = ε  (diagonal).
///
/// This follows the code the authors released with the paper (their CIFAR experiments `sgdF.py`,
/// `sgdCov.py`), except that there the centring is over ghost batches of 100 inside the batch;
/// here it is over the whole batch, so Σᵢ Wᵢ = 1 exactly. E[W] = 1/n, and since the noise is
/// independent of the batch and has mean 0 given it, Cov[W] is SGD's at batch size B plus the
/// noise's share:
///
///     full:      Cov[W] = [(n − B)/(B n² (n − 1)) + σ² (B − 1)/(B² n (n − 1))] · (n I − 11ᵀ)
///     diagonal:  Cov[W] = (n − B)/(B n² (n − 1)) · (n I − 11ᵀ) + σ²/(n B) · I.
///
/// Imitating SGD with a batch size b ≤ B sets
///
///     full:      σ² = B (B − b) / (b (B − 1))   — the whole matrix equals SGD's at b
///     diagonal:  σ² = (B − b) / b               — the diagonal (n − b)/(b n²) equals SGD's at b;
///                                                 the off-diagonal stays SGD's at B
///
/// and b = B gives σ = 0: plain SGD with batch B, bit for bit equal to `SGDSampling`'s batch.
/// A sparse class: `sample` lists the B examples of the batch, in the order drawn.
public struct MiniBatchGaussianSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// B, the number of examples evaluated per step.
    public let batchSize: Int
    /// σ, the scale of the noise in units of the mean weight 1/B within the batch.
    public let sigma: Double
    /// Whether the noise is centred over the batch (`.full`) or not (`.diagonal`).
    public let covariance: SamplingCovariance

    /// Batches of B with noise of scale σ.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1, 1 ≤ B ≤ n (2 ≤ B for `.full`,
    ///   since noise centred over one example is 0), and σ is finite and ≥ 0.
    public init(exampleCount: Int, batchSize: Int, sigma: Double, covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.noiseSupport(batchSize, "batchSize", exampleCount: exampleCount, covariance: covariance)
        try SamplingCheck.sigma(sigma)
        self.exampleCount = exampleCount
        self.batchSize = batchSize
        self.sigma = sigma
        self.covariance = covariance
    }

    /// Batches of B whose noise makes Cov[W] match SGD with the smaller batch size b: all of it
    /// for `.full` (σ² = B(B − b)/(b(B − 1))), its diagonal for `.diagonal` (σ² = (B − b)/b).
    ///
    /// - Throws: `SamplingError.invalidParameter` unless B is valid as above and 1 ≤ b ≤ B.
    public init(exampleCount: Int, batchSize: Int, imitatingBatchSize imitated: Int,
                covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.count(batchSize, "batchSize", atMost: exampleCount, "the example count")
        try SamplingCheck.count(imitated, "imitatingBatchSize", atMost: batchSize, "the batch size B")
        let batch = Double(batchSize), b = Double(imitated)
        let variance: Double
        switch covariance {
        case .full: variance = imitated == batchSize ? 0 : batch * (batch - b) / (b * (batch - 1))
        case .diagonal: variance = (batch - b) / b
        }
        try self.init(exampleCount: exampleCount, batchSize: batchSize, sigma: variance.squareRoot(), covariance: covariance)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      batchSize: container.decode(Int.self, forKey: .batchSize),
                      sigma: container.decode(Double.self, forKey: .sigma),
                      covariance: container.decode(SamplingCovariance.self, forKey: .covariance))
    }

    /// A fresh batch with its noisy weights. Draws the batch first (the same integers as
    /// `SGDSampling` with batch size B), then B normals.
    ///
    /// - Complexity: O(B), whatever n.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        let batch = randomPrefixOfPermutation(count: batchSize, of: exampleCount, using: &generator)
        let weights = noisyWeights(count: batchSize, sigma: sigma, covariance: covariance, meanWeightOver: batchSize,
                                   using: &generator)
        return SampleWeights(exampleCount: exampleCount, indices: batch, weights: weights)
    }

    /// Cov[Wᵢ, Wⱼ] in closed form (see the type's documentation).
    public func covariance(_ i: Int, _ j: Int) -> Double {
        check(0 <= i && i < exampleCount && 0 <= j && j < exampleCount,
                     "covariance(\(i), \(j)) outside 0..<\(exampleCount)")
        let n = Double(exampleCount), batch = Double(batchSize), s2 = sigma * sigma
        // SGD's factor at batch size B; 0 when the batch is everything (also avoids 0/0 at n = 1).
        let sampling = batchSize == exampleCount ? 0 : (n - batch) / (batch * n * n * (n - 1))
        switch covariance {
        case .full: // B ≥ 2, so n ≥ 2
            return (sampling + s2 * (batch - 1) / (batch * batch * n * (n - 1))) * (i == j ? n - 1 : -1)
        case .diagonal:
            return sampling * (i == j ? n - 1 : -1) + (i == j ? s2 / (n * batch) : 0)
        }
    }
}
