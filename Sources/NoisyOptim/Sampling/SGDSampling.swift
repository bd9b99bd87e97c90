// SGDSampling: mini-batch SGD written as a sampling vector, the class every other multiplicative
// SGD class imitates.

/// Mini-batch SGD as a sampling scheme: b of the n examples, each with weight 1/b.
///
/// Wu et al. 2020 ("On the noisy gradient descent that generalizes as SGD", ICML) observe that the
/// mini-batch gradient is the gradient matrix times a random sampling vector, ∇(Σᵢ Wᵢ ℓᵢ), with
///
///     W = (1/b) Σₖ e_{iₖ},  i₁ … i_b drawn from 0..<n,   E[W] = 1/n,   Σᵢ Wᵢ = 1.
///
/// **Without replacement** (the default) the b indices are distinct. Each example is in the batch
/// with probability b/n and each pair with probability b(b − 1)/(n(n − 1)), so
///
///     Cov[W] = (n − b) / (b n² (n − 1)) · (n I − 11ᵀ)
///     Var[Wᵢ] = (n − b) / (b n²),   Cov[Wᵢ, Wⱼ] = −(n − b) / (b n² (n − 1))  (i ≠ j).
///
/// This is the covariance the other classes are scaled to match. b = n gives W = 1/n, plain
/// gradient descent.
///
/// **With replacement** the b indices are independent uniform draws (an index may repeat, and
/// `SampleWeights` then counts it once per occurrence); the counts are Multinomial(b, 1/n), so
///
///     Cov[W] = 1 / (b n²) · (n I − 11ᵀ).
///
/// The draw without replacement is exactly the first batch of `MiniBatches` built from the same
/// generator state (see `randomPrefixOfPermutation`), and `sample` returns
/// `SampleWeights.batch(batch, exampleCount:)`, so the weights match bit for bit. Unlike
/// `MiniBatches`, each call draws a fresh batch: successive steps are independent, not the
/// batches of one epoch.
public struct SGDSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// b, the number of examples drawn per step.
    public let batchSize: Int
    /// Whether the b draws are independent (indices may repeat) rather than b distinct examples.
    public let withReplacement: Bool

    /// b of `exampleCount` examples per step, with weight 1/b each.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1 and 1 ≤ b ≤ n. With replacement
    ///   b may exceed n.
    public init(exampleCount: Int, batchSize: Int, withReplacement: Bool = false) throws {
        try SamplingCheck.exampleCount(exampleCount)
        if withReplacement {
            try SamplingCheck.require(batchSize >= 1, "batchSize", Double(batchSize), "at least 1")
        } else {
            try SamplingCheck.count(batchSize, "batchSize", atMost: exampleCount, "the example count")
        }
        self.exampleCount = exampleCount
        self.batchSize = batchSize
        self.withReplacement = withReplacement
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      batchSize: container.decode(Int.self, forKey: .batchSize),
                      withReplacement: container.decode(Bool.self, forKey: .withReplacement))
    }

    /// A fresh batch: b indices in the order drawn, each with weight 1/b.
    ///
    /// - Complexity: O(b) time and memory, whatever n.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        let batch: [Int]
        if withReplacement {
            batch = (0..<batchSize).map { _ in Int.random(in: 0..<exampleCount, using: &generator) }
        } else {
            batch = randomPrefixOfPermutation(count: batchSize, of: exampleCount, using: &generator)
        }
        return SampleWeights.batch(batch, exampleCount: exampleCount)
    }

    /// Cov[Wᵢ, Wⱼ] in closed form (see the type's documentation).
    public func covariance(_ i: Int, _ j: Int) -> Double {
        check(0 <= i && i < exampleCount && 0 <= j && j < exampleCount,
                     "covariance(\(i), \(j)) outside 0..<\(exampleCount)")
        let n = Double(exampleCount), b = Double(batchSize)
        if withReplacement {
            return (i == j ? n - 1 : -1) / (b * n * n)
        }
        if batchSize == exampleCount { return 0 } // W = 1/n; also avoids 0/0 at n = 1
        return (i == j ? n - 1 : -1) * (n - b) / (b * n * n * (n - 1))
    }
}
