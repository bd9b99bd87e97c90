// Tensor+Random: tensors of seeded random numbers from the counter-based generator.

extension Tensor {
    /// A tensor of independent N(mean, standardDeviation²) samples drawn from `generator`
    /// (the ziggurat over Philox-seeded lanes of `Philox4x32.fillNormal`; the values depend only on
    /// the generator's state and the position, never on the thread count).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    using generator: inout Philox4x32) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: mean, standardDeviation: standardDeviation) }
        return result
    }

    /// A tensor of independent N(mean, standardDeviation²) samples from a generator seeded with `seed`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, seed: UInt64) -> Tensor {
        var generator = Philox4x32(seed: seed)
        return randomNormal(shape, mean: mean, standardDeviation: standardDeviation, using: &generator)
    }

    /// A tensor of independent samples uniform on (lower, upper], drawn from `generator`.
    public static func randomUniform(_ shape: [Int], from lower: Float = 0, to upper: Float = 1,
                                     using generator: inout Philox4x32) -> Tensor {
        check(lower <= upper, "randomUniform needs lower ≤ upper, got \(lower) and \(upper)")
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { generator.fillUniform($0) }
        // u ∈ (0, 1] ↦ lower + (upper − lower)·u.
        return lower == 0 && upper == 1 ? result : result * (upper - lower) + lower
    }

    /// A tensor of independent samples uniform on (lower, upper] from a generator seeded with `seed`.
    public static func randomUniform(_ shape: [Int], from lower: Float = 0, to upper: Float = 1, seed: UInt64) -> Tensor {
        var generator = Philox4x32(seed: seed)
        return randomUniform(shape, from: lower, to: upper, using: &generator)
    }
}
