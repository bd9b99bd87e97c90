// SamplingScheme: where the sampling vector W of each step comes from, the first noise site.

/// A rule for drawing the sampling vector W of a step: the loss of the step is Σᵢ Wᵢ ℓᵢ(θ).
///
/// Mini-batch SGD, multiplicative SGD's Gaussian, Bernoulli and sparse classes (Wu et al. 2020,
/// "On the noisy gradient descent that generalizes as SGD", ICML) are all schemes. An optimizer
/// calls `sample(using:)` once per step with a generator keyed by its sampling seed and the step
/// index, so a scheme must draw all its randomness from `generator` — then a run replays exactly,
/// whatever was restored from a checkpoint.
public protocol SamplingScheme: Codable, Sendable {
    /// n, the number of examples W ranges over.
    var exampleCount: Int { get }
    /// A fresh W over `exampleCount` examples.
    func sample(using generator: inout Philox4x32) -> SampleWeights
    /// W of step `step` (the optimizer's step count t), drawn from `generator`. A scheme whose W
    /// depends on where the step falls in a schedule (`EpochSampling`: batch t mod K of epoch
    /// ⌊t/K⌋) uses `step`; by default it is ignored and `sample(using:)` draws.
    func sample(step: Int, using generator: inout Philox4x32) -> SampleWeights
}

extension SamplingScheme {
    public func sample(step: Int, using generator: inout Philox4x32) -> SampleWeights {
        sample(using: &generator)
    }
}

/// W = 1/n on every example, every step: full-batch gradient descent. Draws nothing.
public struct FullBatch: SamplingScheme, Hashable {
    public let exampleCount: Int

    /// The full batch of `exampleCount` examples.
    public init(exampleCount: Int) {
        check(exampleCount > 0, "a full batch needs at least one example, got \(exampleCount)")
        self.exampleCount = exampleCount
    }

    /// Decodes a full batch; throws `SamplingError.invalidParameter` unless exampleCount ≥ 1.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let exampleCount = try container.decode(Int.self, forKey: .exampleCount)
        try SamplingCheck.exampleCount(exampleCount)
        self.init(exampleCount: exampleCount)
    }

    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        .full(exampleCount: exampleCount)
    }
}
