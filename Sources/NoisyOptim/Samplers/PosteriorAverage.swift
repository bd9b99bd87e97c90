// PosteriorAverage: a sampler's running posterior mean and variance — of θ, or of predictions
// f(x; θ) — with burn-in and thinning, in Double by Welford's update, checkpointed as a value.

import Foundation

/// The running mean and variance of the samples a sampler visits after burn-in, every `thinning`-th:
///
///     kept:  θₜ with t > burnIn and (t − burnIn) mod thinning = 0     (t = steps taken, from 1)
///     k ← k + 1,  δ = x − m,  m ← m + δ/k,  s ← s + δ⊙(x − m)          (Welford 1962, in Double)
///     mean = m,   variance = s/(k − 1)
///
/// Pass θ to average the parameters (the posterior mean θ̄ ≈ E[θ | data]) or a prediction vector
/// f(x; θ) to average predictions (the posterior predictive mean, which for a non-linear model
/// differs from f(x; θ̄)); keep one value per quantity. A copy is a checkpoint: it is `Codable`,
/// and decoding checks that its fields agree.
///
/// ```swift
/// var average = try PosteriorAverage(count: layout.count, burnIn: 1_000, thinning: 10)
/// var predictive = try PosteriorAverage(count: testRows, burnIn: 1_000, thinning: 10)
/// for _ in 0..<20_000 {
///     try sgld.step(&theta, objective: potential)
///     if average.record(step: sgld.stepCount, parameters: theta) {
///         predictive.record(step: sgld.stepCount, parameters: model.predict(testX, theta))
///     }
/// }
/// print(average.mean, average.variance)
/// ```
public struct PosteriorAverage: Codable, Sendable, Equatable {
    /// The number of scalars per sample.
    public let count: Int
    /// Samples θ₁ … θ_burnIn are discarded.
    public let burnIn: Int
    /// Every `thinning`-th sample after the burn-in is kept.
    public let thinning: Int
    /// k, the number of samples kept so far.
    public private(set) var sampleCount = 0
    private var means: [Double]
    private var squaredDeviations: [Double]

    /// An empty average of samples of `count` scalars.
    ///
    /// - Throws: `OptimizerError.invalidHyperparameter` unless count ≥ 0, burnIn ≥ 0 and thinning ≥ 1.
    public init(count: Int, burnIn: Int = 0, thinning: Int = 1) throws {
        try Hyperparameter.require(count >= 0, "count", Double(count), "count ≥ 0")
        try Hyperparameter.require(burnIn >= 0, "burnIn", Double(burnIn), "burnIn ≥ 0")
        try Hyperparameter.require(thinning >= 1, "thinning", Double(thinning), "thinning ≥ 1")
        self.count = count
        self.burnIn = burnIn
        self.thinning = thinning
        means = [Double](repeating: 0, count: count)
        squaredDeviations = means
    }

    /// Whether the sample after `step` steps is kept: step > burnIn and (step − burnIn) mod thinning = 0.
    public func keeps(step: Int) -> Bool { step > burnIn && (step - burnIn) % thinning == 0 }

    /// m, the mean of the kept samples (zeros before the first).
    public var mean: [Double] { means }

    /// m as a Float tensor: the posterior-mean parameters, ready to evaluate a model at.
    public var meanTensor: Tensor { Tensor(means.map { Float($0) }) }

    /// The unbiased sample variance s/(k − 1) of each scalar (zeros until two samples are kept).
    /// It is the spread of the samples (the posterior's marginal variance), not the Monte-Carlo
    /// error of the mean, which is larger than variance/k by the chain's autocorrelation time.
    public var variance: [Double] {
        sampleCount < 2 ? [Double](repeating: 0, count: count) : squaredDeviations.map { $0 / Double(sampleCount - 1) }
    }

    /// Records `parameters` (θ, or any vector of `count` scalars such as predictions) as the sample
    /// after `step` steps if `keeps(step:)`; returns whether it did. One pass, no allocation.
    @discardableResult
    public mutating func record(step: Int, parameters: Tensor) -> Bool {
        check(parameters.count == count, "PosteriorAverage of \(count) scalars was given a sample of \(parameters.count)")
        guard keeps(step: step) else { return false }
        sampleCount += 1
        let k = Double(sampleCount)
        parameters.withUnsafeBufferPointer { x in
            means.withUnsafeMutableBufferPointer { m in
                squaredDeviations.withUnsafeMutableBufferPointer { s in
                    guard let x = x.baseAddress, let m = m.baseAddress, let s = s.baseAddress else { return }
                    Self.welford(x, means: m, squaredDeviations: s, count: count, k: k)
                }
            }
        }
        return true
    }

    /// δ = x − m, m ← m + δ/k, s ← s + δ(x − m), 8 lanes of Double at a time: the same IEEE
    /// operations as the scalar tail, so the result does not depend on where a lane group falls.
    private static func welford(_ x: UnsafePointer<Float>, means m: UnsafeMutablePointer<Double>,
                                squaredDeviations s: UnsafeMutablePointer<Double>, count: Int, k: Double) {
        let kk = SIMD8<Double>(repeating: k)
        let xRaw = UnsafeRawPointer(x), mRaw = UnsafeMutableRawPointer(m), sRaw = UnsafeMutableRawPointer(s)
        var i = 0
        while i + 8 <= count {
            let xv = SIMD8<Double>(xRaw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
            let mv = mRaw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
            let delta = xv - mv
            let updated = mv + delta / kk
            mRaw.storeBytes(of: updated, toByteOffset: i * 8, as: SIMD8<Double>.self)
            let sv = sRaw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
            sRaw.storeBytes(of: sv + delta * (xv - updated), toByteOffset: i * 8, as: SIMD8<Double>.self)
            i += 8
        }
        while i < count {
            let xi = Double(x[i]), delta = xi - m[i]
            m[i] += delta / k
            s[i] += delta * (xi - m[i])
            i += 1
        }
    }

    /// Forgets every kept sample (the burn-in and thinning stay).
    public mutating func reset() {
        sampleCount = 0
        for i in 0..<count { means[i] = 0; squaredDeviations[i] = 0 }
    }

    private enum CodingKeys: String, CodingKey { case count, burnIn, thinning, sampleCount, means, squaredDeviations }

    /// Decodes an average, refusing fields that contradict each other (a negative count, arrays of
    /// another length, a negative or non-finite squared deviation) with `DecodingError.dataCorrupted`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let count = try container.decode(Int.self, forKey: .count)
        do {
            try self.init(count: count, burnIn: container.decode(Int.self, forKey: .burnIn),
                          thinning: container.decode(Int.self, forKey: .thinning))
        } catch let error as OptimizerError {
            throw DecodingError.dataCorruptedError(forKey: .thinning, in: container, debugDescription: error.description)
        }
        let sampleCount = try container.decode(Int.self, forKey: .sampleCount)
        let means = try container.decode([Double].self, forKey: .means)
        let squaredDeviations = try container.decode([Double].self, forKey: .squaredDeviations)
        guard sampleCount >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .sampleCount, in: container,
                                                   debugDescription: "sampleCount must be ≥ 0, got \(sampleCount)")
        }
        guard means.count == count, squaredDeviations.count == count else {
            throw DecodingError.dataCorruptedError(forKey: .means, in: container, debugDescription:
                "\(means.count) means and \(squaredDeviations.count) squared deviations for count \(count)")
        }
        guard means.allSatisfy({ $0.isFinite }), squaredDeviations.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw DecodingError.dataCorruptedError(forKey: .squaredDeviations, in: container,
                                                   debugDescription: "means must be finite and squared deviations finite and ≥ 0")
        }
        self.sampleCount = sampleCount
        self.means = means
        self.squaredDeviations = squaredDeviations
    }
}
