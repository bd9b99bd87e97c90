// EpochSampling: the mini-batches of shuffled epochs written as a sampling scheme, so that the
// most common training loop (every example once per epoch, in a fresh order each epoch) is a
// `SamplingScheme` like the others and resumes exactly from a step count.

import Foundation

/// Epochs of mini-batches: each epoch a fresh random permutation of the n examples, cut into
/// batches of b taken in order, each example of a batch with weight 1/b.
///
/// Step t falls in epoch e = ⌊t / K⌋ at batch k = t mod K, with K = `batchesPerEpoch`
/// (⌊n/b⌋ when `dropLast`, ⌈n/b⌉ otherwise; the last batch of an epoch then holds the n mod b
/// examples left, each weighted by 1/(their count)). Within an epoch the batches are disjoint and,
/// without `dropLast`, cover every example exactly once: sampling without replacement across the
/// whole epoch, which is what `SGDSampling` (a fresh, independent batch per step) cannot express.
///
/// **Why resume is exact.** The permutation of epoch e is `Array(0..<n).shuffled(using:)` with a
/// `Philox4x32` keyed by (`seed`, e) alone, so W of step t is a pure function of (seed, n, b,
/// dropLast, t): nothing is carried from step to step, and a run restored at any step — mid-epoch
/// included — sees the same batches as the uninterrupted run. The scheme therefore ignores the
/// generator an optimizer passes (which is keyed by its sampling seed and t) and needs t itself:
/// it implements `sample(step:using:)`. Use `weights(atStep:)` directly, or through
/// `TrainingLoop`'s `batches`.
///
/// The permutation of the last epoch used is cached (under a lock, so the scheme stays `Sendable`),
/// so a step costs O(b), plus O(n) once per epoch.
public struct EpochSampling: SamplingScheme, Hashable {
    /// n, the number of examples.
    public let exampleCount: Int
    /// b, the examples per batch.
    public let batchSize: Int
    /// Whether the short last batch of an epoch (n mod b examples) is left out.
    public let dropLast: Bool
    /// The key of the epochs' permutations.
    public let seed: UInt64

    private let cache = PermutationCache()

    /// Epochs of `exampleCount` examples in batches of `batchSize`, shuffled by `seed`.
    ///
    /// - Throws: `SamplingError.invalidParameter` unless n ≥ 1 and 1 ≤ b ≤ n.
    public init(exampleCount: Int, batchSize: Int, dropLast: Bool = false, seed: UInt64) throws {
        try SamplingCheck.exampleCount(exampleCount)
        try SamplingCheck.count(batchSize, "batchSize", atMost: exampleCount, "the example count")
        self.exampleCount = exampleCount
        self.batchSize = batchSize
        self.dropLast = dropLast
        self.seed = seed
    }

    /// K, the batches (steps) per epoch: ⌊n/b⌋ with `dropLast`, ⌈n/b⌉ without.
    public var batchesPerEpoch: Int {
        dropLast ? exampleCount / batchSize : (exampleCount + batchSize - 1) / batchSize
    }

    /// The epoch e = ⌊t/K⌋ that step t belongs to.
    public func epoch(ofStep step: Int) -> Int { step / batchesPerEpoch }

    /// The permutation of 0..<n that epoch `epoch` cuts into batches.
    public func permutation(ofEpoch epoch: Int) -> [Int] {
        check(epoch >= 0, "epochs count from 0, got \(epoch)")
        if let cached = cache.order(for: epoch) { return cached }
        let key = RandomStream.mix(RandomStream.mix(seed ^ EpochSampling.streamConstant) &+ UInt64(epoch))
        var generator = Philox4x32(seed: key)
        let order = Array(0..<exampleCount).shuffled(using: &generator)
        cache.store(order, for: epoch)
        return order
    }

    /// The examples of step t's batch, in permutation order.
    public func batch(atStep step: Int) -> ArraySlice<Int> {
        check(step >= 0, "steps count from 0, got \(step)")
        let perEpoch = batchesPerEpoch
        let order = permutation(ofEpoch: step / perEpoch)
        let lower = (step % perEpoch) * batchSize
        return order[lower..<min(lower + batchSize, exampleCount)]
    }

    /// W of step t: 1/|batch| on the examples of `batch(atStep:)`.
    public func weights(atStep step: Int) -> SampleWeights {
        SampleWeights.batch(Array(batch(atStep: step)), exampleCount: exampleCount)
    }

    /// W of step `step`; `generator` is not used (see the type's documentation).
    public func sample(step: Int, using generator: inout Philox4x32) -> SampleWeights {
        weights(atStep: step)
    }

    /// Stops: an epoch's batch depends on the step index, which this entry point does not give.
    /// Call `sample(step:using:)` or `weights(atStep:)`.
    public func sample(using generator: inout Philox4x32) -> SampleWeights {
        fail("EpochSampling needs the step index: call sample(step:using:) or weights(atStep:), or drive it with TrainingLoop(batches:)")
    }

    /// Keeps the permutations of different uses of one seed apart from the optimizers' streams.
    static let streamConstant: UInt64 = 0x6570_6F63_6873

    // MARK: Codable, Hashable (the cache is not part of the value)

    private enum CodingKeys: String, CodingKey { case exampleCount, batchSize, dropLast, seed }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(exampleCount: container.decode(Int.self, forKey: .exampleCount),
                      batchSize: container.decode(Int.self, forKey: .batchSize),
                      dropLast: container.decode(Bool.self, forKey: .dropLast),
                      seed: container.decode(UInt64.self, forKey: .seed))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(exampleCount, forKey: .exampleCount)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encode(dropLast, forKey: .dropLast)
        try container.encode(seed, forKey: .seed)
    }

    public static func == (a: EpochSampling, b: EpochSampling) -> Bool {
        a.exampleCount == b.exampleCount && a.batchSize == b.batchSize && a.dropLast == b.dropLast && a.seed == b.seed
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(exampleCount)
        hasher.combine(batchSize)
        hasher.combine(dropLast)
        hasher.combine(seed)
    }
}

/// The permutation of the most recent epoch, shared by the copies of one scheme. A pure cache:
/// whatever it holds, `permutation(ofEpoch:)` returns the same value.
private final class PermutationCache: @unchecked Sendable {
    private let lock = NSLock()
    private var epoch = -1
    private var order: [Int] = []

    func order(for epoch: Int) -> [Int]? {
        lock.lock()
        defer { lock.unlock() }
        return self.epoch == epoch ? order : nil
    }

    func store(_ order: [Int], for epoch: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.epoch = epoch
        self.order = order
    }
}
