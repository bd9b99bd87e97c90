// Test schemes: the two simplest sampling schemes, written against the public protocol exactly as
// the multiplicative-SGD classes are.

@testable import NoisyOptim

/// The same batch every step.
struct FixedBatch: SamplingScheme {
    let exampleCount: Int
    let batch: [Int]
    func sample(using generator: inout Philox4x32) -> SampleWeights {
        .batch(batch, exampleCount: exampleCount)
    }
}

/// `batchSize` examples drawn without replacement, weight 1/b each: mini-batch SGD.
struct RandomBatch: SamplingScheme {
    let exampleCount: Int
    let batchSize: Int
    func sample(using generator: inout Philox4x32) -> SampleWeights {
        // A partial Fisher–Yates shuffle: the first b positions of a random permutation.
        var order = Array(0..<exampleCount)
        for i in 0..<batchSize {
            let j = i + Int(generator.next(upperBound: UInt64(exampleCount - i)))
            order.swapAt(i, j)
        }
        return .batch(Array(order[..<batchSize]), exampleCount: exampleCount)
    }
}
