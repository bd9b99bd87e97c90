// SampleWeights: the sampling vector W of a step, the first of the three noise sites.

/// A sampling vector W over n examples: the loss of a step is L(θ) = Σᵢ Wᵢ ℓᵢ(θ).
///
/// Stored sparsely, as the examples that enter and their weights, so that sparse classes
/// (mini-batches, Bernoulli, sparse Gaussian) only evaluate the examples with a non-zero weight.
/// Indices keep the order in which they were drawn and may repeat (sampling with replacement);
/// a repeated index counts once per occurrence. Mini-batch SGD over a batch B is W = 1/|B| on B
/// (Wu et al. 2020, "On the noisy gradient descent that generalizes as SGD", ICML).
public struct SampleWeights: Codable, Sendable, Hashable {
    /// n, the number of examples W is defined over.
    public let exampleCount: Int
    /// The examples that enter the loss, in the order drawn.
    public let indices: [Int]
    /// Wᵢ for each entry of `indices`.
    public let weights: [Float]

    /// Weights `weights` on the examples `indices` of a data set of `exampleCount` examples.
    public init(exampleCount: Int, indices: [Int], weights: [Float]) {
        check(indices.count == weights.count, "\(indices.count) indices but \(weights.count) weights")
        if let bad = indices.first(where: { $0 < 0 || $0 >= exampleCount }) {
            fail("index \(bad) is outside 0..<\(exampleCount), the examples W is defined over")
        }
        self.exampleCount = exampleCount
        self.indices = indices
        self.weights = weights
    }

    private enum CodingKeys: String, CodingKey { case exampleCount, indices, weights }

    /// Decodes W, checking what the initializer checks (one weight per index, every index in
    /// 0..<exampleCount) and that the weights are finite; `DecodingError.dataCorrupted` otherwise.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let exampleCount = try container.decode(Int.self, forKey: .exampleCount)
        let indices = try container.decode([Int].self, forKey: .indices)
        let weights = try container.decode([Float].self, forKey: .weights)
        guard indices.count == weights.count else {
            throw DecodingError.dataCorruptedError(forKey: .weights, in: container,
                                                   debugDescription: "\(indices.count) indices but \(weights.count) weights")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= exampleCount }) {
            throw DecodingError.dataCorruptedError(forKey: .indices, in: container,
                                                   debugDescription: "index \(bad) is outside 0..<\(exampleCount)")
        }
        if let bad = weights.first(where: { !$0.isFinite }) {
            throw DecodingError.dataCorruptedError(forKey: .weights, in: container,
                                                   debugDescription: "weight \(bad) is not finite")
        }
        self.init(exampleCount: exampleCount, indices: indices, weights: weights)
    }

    /// W = 1/|batch| on the examples of `batch`: the loss of mini-batch SGD.
    public static func batch(_ batch: [Int], exampleCount: Int) -> SampleWeights {
        SampleWeights(exampleCount: exampleCount, indices: batch,
                      weights: [Float](repeating: 1 / Float(batch.count), count: batch.count))
    }

    /// W = 1/n on every example: the full-batch (gradient descent) loss.
    public static func full(exampleCount: Int) -> SampleWeights {
        batch(Array(0..<exampleCount), exampleCount: exampleCount)
    }

    /// W as a dense vector of n weights (repeated indices add up).
    public var dense: [Float] {
        var result = [Float](repeating: 0, count: exampleCount)
        for (i, w) in zip(indices, weights) { result[i] += w }
        return result
    }
}
