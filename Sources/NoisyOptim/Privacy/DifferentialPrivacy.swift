// DifferentialPrivacy: DP-SGD's configuration — Poisson sampling rate, clipping norm, noise
// multiplier, seed — validated once, with the derived figures a step uses (the weight 1/(qN), the
// noise's standard deviation σC/(qN)) and the privacy it spends.

import Foundation

/// The configuration of DP-SGD (Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar and Zhang 2016,
/// "Deep Learning with Differential Privacy", CCS), set on any optimizer by `withPrivacy(_:)`.
///
/// Step t of a private optimizer, over N examples:
///
///     Bₜ = {i : uᵢ < q},  uᵢ ~ U(0, 1) independent, keyed by (seed, t)     (Poisson sampling)
///     cᵢ = min(1, C/‖∇ℓᵢ(θ)‖)                                             (per-example clipping)
///     g̃ = (Σ_{i∈Bₜ} cᵢ·∇ℓᵢ(θ) + N(0, σ²C²·I)) / (qN)                       (noise, then the expected batch size)
///     θ ← the optimizer's rule applied to g̃ (SGD, momentum, Adam, …)
///
/// Dividing by the expected batch size qN rather than |Bₜ| keeps the sensitivity of g̃ at C/(qN)
/// whatever the batch drawn, which is what the accountant assumes (Opacus does the same); an
/// empty batch still adds the noise. Each step is one use of the Poisson-subsampled Gaussian
/// mechanism with noise multiplier σ, so `epsilon(afterSteps:delta:)` (Rényi DP: Mironov 2017;
/// Mironov, Talwar and Zhang 2019) bounds the privacy of the whole run.
///
/// ```swift
/// let privacy = try DifferentialPrivacy(exampleCount: 60_000, expectedBatchSize: 256,
///                                       clippingNorm: 1, noiseMultiplier: 1.1, seed: 7)
/// var optimizer = try SGD(layout: model.layout, learningRate: 0.1, momentum: 0.9).withPrivacy(privacy)
/// let objective = model.perExampleObjective(inputs: x, labels: y)
/// for _ in 0..<2_344 { try optimizer.step(&theta, perExampleObjective: objective) }   // 10 epochs
/// print(privacy.epsilon(afterSteps: optimizer.stepCount, delta: 1e-5))
/// ```
public struct DifferentialPrivacy: Codable, Sendable, Hashable {
    /// N, the number of examples a step samples from.
    public let exampleCount: Int
    /// q ∈ (0, 1], the probability that an example enters a step.
    public let samplingRate: Double
    /// C > 0, the bound on each example's gradient norm.
    public let clippingNorm: Double
    /// σ ≥ 0: the noise on the clipped sum is N(0, σ²C²·I). σ = 0 is not private (ε = ∞) but
    /// is the same step without noise, for tests and ablations.
    public let noiseMultiplier: Double
    /// The key of the batch and noise streams (recorded in the optimizer state as its sampling seed).
    public let seed: UInt64

    /// DP-SGD over `exampleCount` examples, each entering a step with probability `samplingRate`.
    ///
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the value unless N ≥ 1,
    ///   0 < q ≤ 1 with the weight 1/(qN) a normal Float32, C a normal Float32 > 0, σ ≥ 0, and
    ///   the noise's standard deviation σC/(qN) within the range every noise scale is held to.
    public init(exampleCount: Int, samplingRate: Double, clippingNorm: Double, noiseMultiplier: Double,
                seed: UInt64) throws {
        try Hyperparameter.require(exampleCount >= 1, "exampleCount", Double(exampleCount), "at least one example")
        let weight = 1 / (Double(exampleCount) * samplingRate)
        try Hyperparameter.require(samplingRate > 0 && samplingRate <= 1 && Float(weight).isNormal, "samplingRate",
                                   samplingRate, "0 < samplingRate ≤ 1 with 1/(samplingRate·exampleCount) a normal Float32")
        try Hyperparameter.positive(clippingNorm, "clippingNorm")
        try Hyperparameter.nonNegative(noiseMultiplier, "noiseMultiplier")
        try Hyperparameter.nonNegative(noiseMultiplier * clippingNorm * weight, "noiseMultiplier·clippingNorm/(q·N)")
        self.exampleCount = exampleCount
        self.samplingRate = samplingRate
        self.clippingNorm = clippingNorm
        self.noiseMultiplier = noiseMultiplier
        self.seed = seed
    }

    /// DP-SGD with q = b/N, so that b examples enter a step on average.
    ///
    /// - Throws: `OptimizerError.invalidHyperparameter` unless 1 ≤ b ≤ N, and as the main initializer.
    public init(exampleCount: Int, expectedBatchSize: Int, clippingNorm: Double, noiseMultiplier: Double,
                seed: UInt64) throws {
        try Hyperparameter.require(expectedBatchSize >= 1 && expectedBatchSize <= exampleCount, "expectedBatchSize",
                                   Double(expectedBatchSize), "1 ≤ expectedBatchSize ≤ exampleCount (\(exampleCount))")
        try self.init(exampleCount: exampleCount, samplingRate: Double(expectedBatchSize) / Double(exampleCount),
                      clippingNorm: clippingNorm, noiseMultiplier: noiseMultiplier, seed: seed)
    }

    private enum CodingKeys: String, CodingKey { case exampleCount, samplingRate, clippingNorm, noiseMultiplier, seed }

    /// Decodes a configuration and validates it as the initializer does (a typed
    /// `OptimizerError.invalidHyperparameter` naming the bad value).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      samplingRate: container.decode(Double.self, forKey: .samplingRate),
                      clippingNorm: container.decode(Double.self, forKey: .clippingNorm),
                      noiseMultiplier: container.decode(Double.self, forKey: .noiseMultiplier),
                      seed: container.decode(UInt64.self, forKey: .seed))
    }

    /// qN, the expected number of examples in a step: the clipped sum and its noise are divided by it.
    public var expectedBatchSize: Double { samplingRate * Double(exampleCount) }

    /// σC/(qN), the standard deviation of the noise on each coordinate of the averaged gradient g̃.
    public var noiseStandardDeviation: Double { noiseMultiplier * clippingNorm / expectedBatchSize }

    /// The Poisson sampling of the batches: each example kept with probability q, weight 1/(qN).
    public var sampling: BernoulliSampling {
        do {
            return try BernoulliSampling(exampleCount: exampleCount, keepProbability: samplingRate)
        } catch {
            fail("DifferentialPrivacy: a validated q = \(samplingRate), N = \(exampleCount) was refused by BernoulliSampling: \(error)")
        }
    }

    /// ε at `delta` after `steps` steps of this configuration, by Rényi DP at Opacus's default
    /// orders (`PrivacyAccountant`).
    public func epsilon(afterSteps steps: Int, delta: Double) -> Double {
        PrivacyAccountant.epsilon(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps, delta: delta)
    }

    /// The stream of the noise on the clipped sum, apart from the sampling stream of the same seed.
    static let noiseStream: UInt64 = 0x6470_7367_645F_6E7A

    /// The noise stream under `seed`: coordinate i of step t's g̃ gets σC/(qN)·zᵢ of step t.
    func noise(seed: UInt64) -> NoiseStream { NoiseStream(seed: seed, stream: DifferentialPrivacy.noiseStream) }
}
