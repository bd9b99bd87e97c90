import Foundation
import Testing
@testable import NoisyOptim

/// Epochs of shuffled mini-batches: the permutation property, and that a step's batch is a pure
/// function of the scheme and the step (which is what makes resume exact).
@Suite struct EpochSamplingTests {
    /// Awkward sizes: one example, b = n, b dividing n, and remainders of 1 and b − 1.
    @Test(arguments: [(1, 1), (7, 7), (8, 4), (9, 4), (65, 8), (63, 8), (10, 3)], [false, true])
    func eachEpochIsAPartitionIntoBatches(sizes: (n: Int, b: Int), dropLast: Bool) throws {
        let (n, b) = sizes
        let scheme = try EpochSampling(exampleCount: n, batchSize: b, dropLast: dropLast, seed: 5)
        let perEpoch = scheme.batchesPerEpoch
        #expect(perEpoch == (dropLast ? n / b : (n + b - 1) / b))
        for epoch in 0..<3 {
            var seen: [Int] = []
            for k in 0..<perEpoch {
                let weights = scheme.weights(atStep: epoch * perEpoch + k)
                let batch = weights.indices
                #expect(batch.count == (dropLast || k < perEpoch - 1 || n % b == 0 ? b : n % b))
                #expect(weights.weights.allSatisfy { $0 == 1 / Float(batch.count) })
                #expect(scheme.epoch(ofStep: epoch * perEpoch + k) == epoch)
                seen += batch
            }
            // Disjoint batches; without dropLast they cover every example exactly once.
            #expect(Set(seen).count == seen.count)
            #expect(seen.count == (dropLast ? perEpoch * b : n))
            #expect(Array(seen) == Array(scheme.permutation(ofEpoch: epoch).prefix(seen.count)))
        }
    }

    @Test func epochsAreFreshPermutationsAndSeedsDiffer() throws {
        let scheme = try EpochSampling(exampleCount: 100, batchSize: 10, seed: 1)
        let first = scheme.permutation(ofEpoch: 0), second = scheme.permutation(ofEpoch: 1)
        #expect(first.sorted() == Array(0..<100) && second.sorted() == Array(0..<100))
        // Two independent uniform permutations of 100 agree with probability 1/100!.
        #expect(first != second)
        #expect(first != Array(0..<100))
        #expect(try EpochSampling(exampleCount: 100, batchSize: 10, seed: 2).permutation(ofEpoch: 0) != first)
    }

    /// A resumed run builds a fresh scheme (or decodes one) and asks for step t directly, in any
    /// order: it must get the batches the uninterrupted run got.
    @Test func batchesDependOnlyOnTheStep() throws {
        let scheme = try EpochSampling(exampleCount: 37, batchSize: 5, seed: 9)
        let straight = (0..<40).map { scheme.weights(atStep: $0) }
        let decoded = try JSONDecoder().decode(EpochSampling.self, from: JSONEncoder().encode(scheme))
        #expect(decoded == scheme)
        for t in [39, 3, 17, 8, 0, 22, 8] { // out of order, across epochs, repeated
            #expect(decoded.weights(atStep: t) == straight[t], "step \(t)")
        }
        var generator = Philox4x32(seed: 0)
        let erased: any SamplingScheme = scheme
        #expect(erased.sample(step: 12, using: &generator) == straight[12])
    }

    @Test func uniformOverExamples() throws {
        // Over 200 epochs each example is in the first batch with probability b/n = 0.25; the
        // count is Binomial(200, 0.25): mean 50, standard deviation 6.1; 5 of those is 31.
        let scheme = try EpochSampling(exampleCount: 8, batchSize: 2, seed: 3)
        var counts = [Int](repeating: 0, count: 8)
        for epoch in 0..<200 { for i in scheme.batch(atStep: epoch * 4) { counts[i] += 1 } }
        #expect(counts.allSatisfy { abs($0 - 50) < 31 }, "\(counts)")
    }

    @Test func invalidSizesThrow() {
        #expect(throws: SamplingError.self) { try EpochSampling(exampleCount: 0, batchSize: 1, seed: 0) }
        #expect(throws: SamplingError.self) { try EpochSampling(exampleCount: 5, batchSize: 6, seed: 0) }
        #expect(throws: SamplingError.self) { try EpochSampling(exampleCount: 5, batchSize: 0, seed: 0) }
        let bad = Data(#"{"exampleCount": 4, "batchSize": 9, "dropLast": false, "seed": 1}"#.utf8)
        #expect(throws: SamplingError.self) { try JSONDecoder().decode(EpochSampling.self, from: bad) }
    }

    @Test func sampleWithoutTheStepStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var generator = Philox4x32(seed: 0)
            _ = try? EpochSampling(exampleCount: 4, batchSize: 2, seed: 0).sample(using: &generator)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("EpochSampling needs the step index"))
    }

    @Test func anOptimizerDrawsTheEpochsBatchOfItsStep() throws {
        // As an optimizer's sampling site, step t gets batch t of the epochs, resumed or not.
        let scheme = try EpochSampling(exampleCount: 10, batchSize: 4, seed: 2)
        var sgd = try SGD(layout: .flat(count: 1), learningRate: 0.1).withSampling(scheme, seed: 9)
        var theta = Tensor([0])
        for t in 0..<7 {
            var seen: SampleWeights?
            try sgd.step(&theta) { _, w in
                seen = w
                return (0, Tensor([0]))
            }
            #expect(seen == scheme.weights(atStep: t), "step \(t)")
        }
    }
}
