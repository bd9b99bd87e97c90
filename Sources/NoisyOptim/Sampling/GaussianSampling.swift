// GaussianSampling: multiplicative SGD with a Gaussian sampling vector over all n examples, the
// "MSGD-Cov" (full covariance) and "MSGD-Fisher" (diagonal) classes of Wu et al. 2020.

/// The covariance structure of a Gaussian sampling vector's noise.
public enum SamplingCovariance: String, Codable, Sendable, Hashable, CaseIterable {
    /// The noise is centred, ε − mean(ε), over the examples it touches: Cov[W] ∝ n I − 11ᵀ, the
    /// shape of SGD's, and Σᵢ Wᵢ = 1 on every draw. Scaled to imitate a batch size, the whole
    /// covariance matrix equals SGD's. Wu et al. 2020 call this noise "Cov": the gradient noise it
    /// makes has the covariance of SGD's gradient noise.
    case full
    /// The noise is used as drawn, independent per example: Cov[W] ∝ I. Scaled to imitate a batch
    /// size, the diagonal (each weight's variance) equals SGD's and the small negative
    /// off-diagonal terms are 0. Wu et al. 2020 call this noise "Fisher": the gradient noise it
    /// makes has the (scaled) Fisher as covariance.
    case diagonal
}

/// Multiplicative SGD with Gaussian noise on every example's weight (Wu et al. 2020, "On the noisy
/// gradient descent that generalizes as SGD", ICML: "MSGD-Cov" and "MSGD-Fisher").
///
/// With ε ~ N(0, Iₙ) drawn afresh each step and ε̄ its mean,
///
///     full:      W = 1/n + σ (ε − ε̄ 1) / n,   Cov[W] = σ² / n³ · (n I − 11ᵀ),   Σᵢ Wᵢ = 1
///     diagonal:  W = (1 + σ ε) / n,           Cov[W] = σ² / n² · I
///
/// (Cov[ε − ε̄1] = I − 11ᵀ/n). Both have E[W] = 1/n, so the step is gradient descent on the mean
/// loss plus noise, and the noise has exactly the first two moments of SGD's when σ is set from
/// the batch size b it imitates, with SGD's Cov[W] = (n − b)/(b n² (n − 1)) · (n I − 11ᵀ):
///
///     full:      σ² = n (n − b) / (b (n − 1))   (≈ n/b for n ≫ b): the whole matrix matches
///     diagonal:  σ² = (n − b) / b               (≈ n/b): the diagonal Var[Wᵢ] = (n − b)/(b n²)
///                                                matches, the off-diagonal is 0 instead of
///                                                −(n − b)/(b n² (n − 1))
///
/// Every example gets a non-zero weight, so `sample` lists all n and a step evaluates all n.
/// The ε are those of `Philox4x32.fillNormal` (the vectorized ziggurat), so the same generator state
/// gives the same ε for every σ: runs at different noise scales are coupled, and σ = 0 gives
/// W = 1/n bit for bit equal to `SampleWeights.full`. Weights can be negative when σ is large;
/// that is part of the class, not an error.
public struct GaussianSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// σ, the scale of the noise in units of the mean weight 1/n (see the type's formulas).
    public let sigma: Double
    /// Whether the noise is centred (`.full`, SGD's covariance shape) or not (`.diagonal`).
    public let covariance: SamplingCovariance

    /// Gaussian noise of scale σ.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1 and σ is finite and ≥ 0.
    public init(exampleCount: Int, sigma: Double, covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.sigma(sigma)
        self.exampleCount = exampleCount
        self.sigma = sigma
        self.covariance = covariance
    }

    /// Gaussian noise with σ set so that Cov[W] matches mini-batch SGD with batch size b: all of
    /// it for `.full` (σ² = n(n − b)/(b(n − 1))), its diagonal for `.diagonal` (σ² = (n − b)/b).
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1 and 1 ≤ b ≤ n.
    public init(exampleCount: Int, imitatingBatchSize batchSize: Int, covariance: SamplingCovariance = .full) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.count(batchSize, "imitatingBatchSize", atMost: exampleCount, "the example count")
        let n = Double(exampleCount), b = Double(batchSize)
        let variance: Double
        switch covariance {
        case .full: variance = batchSize == exampleCount ? 0 : n * (n - b) / (b * (n - 1)) // 0/0 at n = 1
        case .diagonal: variance = (n - b) / b
        }
        try self.init(exampleCount: exampleCount, sigma: variance.squareRoot(), covariance: covariance)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      sigma: container.decode(Double.self, forKey: .sigma),
                      covariance: container.decode(SamplingCovariance.self, forKey: .covariance))
    }

    /// A fresh W over all n examples (indices 0..<n in order).
    ///
    /// - Complexity: O(n): one vectorized normal fill, for `.full` one sum, and one pass.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        let n = exampleCount
        let weights = noisyWeights(count: n, sigma: sigma, covariance: covariance, meanWeightOver: n, using: &generator)
        return SampleWeights(exampleCount: n, indices: allExamples(n), weights: weights)
    }

    /// Cov[Wᵢ, Wⱼ] in closed form (see the type's documentation).
    public func covariance(_ i: Int, _ j: Int) -> Double {
        check(0 <= i && i < exampleCount && 0 <= j && j < exampleCount,
                     "covariance(\(i), \(j)) outside 0..<\(exampleCount)")
        let n = Double(exampleCount), s2 = sigma * sigma
        switch covariance {
        case .full: return s2 * (i == j ? n - 1 : -1) / (n * n * n)
        case .diagonal: return i == j ? s2 / (n * n) : 0
        }
    }
}

/// [0, 1, …, n − 1], the index list of a dense W: a plain store loop, several times faster than
/// `Array(0..<n)`, which goes through the generic sequence copy.
func allExamples(_ n: Int) -> [Int] {
    [Int](unsafeUninitializedCapacity: n) { buffer, initialized in
        for i in 0..<n { buffer[i] = i }
        initialized = n
    }
}

/// `count` weights 1/m + (σ/m)(εᵢ − ε̄) with ε ~ N(0, I) from one vectorized fill, ε̄ their mean for
/// `.full` (centred noise) and 0 for `.diagonal`: the Gaussian part of every Gaussian class.
/// Centring first makes a single centred weight exactly 1/m, and σ = 0 gives 1/m exactly.
func noisyWeights(count: Int, sigma: Double, covariance: SamplingCovariance, meanWeightOver m: Int,
                  using generator: inout Philox4x32) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        generator.fillNormal(buffer)
        let mean = covariance == .full && count > 0
            ? Float(Kernels.sum(IdentityKernel.self, buffer.baseAddress!, count: count) / Double(count)) : 0
        shiftScaleOffset(buffer, shift: mean, scale: Float(sigma) / Float(m), offset: 1 / Float(m))
        initialized = count
    }
}

/// x[i] ← (x[i] − shift) · scale + offset, 16 lanes at a time (two roundings per multiply-add:
/// the default SSE2 build has no fused multiply-add).
func shiftScaleOffset(_ x: UnsafeMutableBufferPointer<Float>, shift: Float, scale: Float, offset: Float) {
    guard let base = x.baseAddress else { return }
    let count = x.count
    let s = Vector(repeating: shift), a = Vector(repeating: scale), c = Vector(repeating: offset)
    var i = 0
    while i + 16 <= count {
        storeVector((loadVector(base + i) - s) * a + c, base + i)
        i += 16
    }
    if i < count {
        storePartialVector((loadPartialVector(base + i, count: count - i) - s) * a + c, base + i, count: count - i)
    }
}
