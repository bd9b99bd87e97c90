// What a user can write with `import NoisyOptim` alone: a DP-SGD step's clipped sum and the
// gradient-noise estimates from per-example gradients, for an MLP and for a model of their own.

import NoisyOptim
import Testing

@Suite struct PerExampleAPITests {
    /// Deterministic inputs in [−1, 1) without the test target's helpers (a small LCG).
    static func values(_ count: Int, seed: UInt32) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 23) - 1
        }
    }

    /// The README's per-example example, as written.
    @Test func readmeExample() throws {
        let model = MLP(sizes: [4, 6, 3], activation: .tanh)
        let features = Tensor(shape: [8, 4], scalars: PerExampleAPITests.values(32, seed: 5))
        let labels = [0, 1, 2, 0, 1, 2, 0, 1]
        let parameters = model.initialParameters(seed: 1)
        let weights = SampleWeights.batch([7, 2, 4], exampleCount: 8)
        // README example starts here.
        let f = model.perExampleObjective(inputs: features, labels: labels)
        let (loss, gradient, perExample) = try f(parameters, weights, .clipped(toNorm: 1))
        let clipped = perExample.clippedGradient!  // DP-SGD: add N(0, σ²C²)/(expected batch size)
        let norms = perExample.squaredNorms        // ‖∇ℓᵢ‖²; gradientNoiseEstimates(mean:): tr(Σ), |G|²
        let rows = try f(parameters, weights, .matrix).perExample.matrix!  // B × P, row i = ∇ℓᵢ
        // README example ends here.
        let plain = try model.objective(inputs: features, labels: labels)(parameters, weights)
        #expect(abs(loss - plain.loss) <= 1e-6 * abs(plain.loss))
        #expect(gradient.shape == plain.gradient.shape && clipped.shape == gradient.shape)
        #expect(norms.count == 3 && rows.shape == [3, model.layout.count])
    }

    /// The clipped sum the library forms (one pass, no matrix) against the one a user forms from
    /// the rows: Σᵢ Wᵢ·min(1, C/‖gᵢ‖)·gᵢ. rtol 1e-5 with a floor of 1e-6 of the largest entry:
    /// sums over B in another order, entries that cancel carry the larger relative error.
    @Test func clippedSumFromTheRows() throws {
        let model = MLP(sizes: [4, 8, 3], activation: .relu)
        let inputs = Tensor(shape: [10, 4], scalars: PerExampleAPITests.values(40, seed: 1))
        let labels = (0..<10).map { $0 % 3 }
        let f = model.perExampleObjective(inputs: inputs, labels: labels)
        let parameters = model.initialParameters(seed: 3)
        let batch = SampleWeights.batch([1, 4, 6, 9], exampleCount: 10)
        let clippingNorm: Float = 0.2

        let dp = try f(parameters, batch, .clipped(toNorm: clippingNorm))
        let full = try f(parameters, batch, .matrix)
        #expect(dp.perExample.matrix == nil && full.perExample.loopSegments.isEmpty)
        var expected = [Double](repeating: 0, count: model.layout.count)
        for r in 0..<full.perExample.count {
            let row = full.perExample.row(r).scalars
            let norm = full.perExample.squaredNorms[r].squareRoot()
            let c = Double(full.perExample.weights[r] * min(1, clippingNorm / norm))
            for j in row.indices { expected[j] += c * Double(row[j]) }
        }
        let clipped = dp.perExample.clippedGradient!.scalars
        let floor = 1e-6 * expected.map(abs).max()!
        for j in clipped.indices {
            #expect(abs(Double(clipped[j]) - expected[j]) <= floor + 1e-5 * abs(expected[j]), "entry \(j)")
        }
        #expect(dp.loss == full.loss && dp.gradient.scalars == full.gradient.scalars)
    }

    /// A model of the user's own: its linear layer takes the one pass, its elementwise gain the
    /// loop; the rows of one segment, and the noise estimates (W = 1/B makes the gradient ḡ).
    @Test func ownModelRowsAndNoiseEstimates() throws {
        var layout = ParameterLayout()
        let dense = Linear(inputSize: 3, outputSize: 2, name: "dense", in: &layout)
        let gain = layout.append("gain", shape: [2])
        let x = Tensor(shape: [6, 3], scalars: PerExampleAPITests.values(18, seed: 7))
        let y = Tensor(shape: [6, 2], scalars: PerExampleAPITests.values(12, seed: 8))
        let f = perExampleObjective(in: layout) { tape, examples in
            let predictions = tanh(dense(tape.constant(x).gatheringRows(examples))) * tape.parameter(gain)
            return squaredError(predictions: predictions, targets: tape.constant(y).gatheringRows(examples), convention: .half)
        }
        let parameters = Tensor(shape: [layout.count], scalars: PerExampleAPITests.values(layout.count, seed: 9))
        let result = try f(parameters, .batch([0, 2, 3, 5], exampleCount: 6), .matrix)
        #expect(result.perExample.loopSegments.map(\.name) == ["gain"])
        let gainRows = result.perExample.rows(of: gain)
        #expect(gainRows.shape == [4, 2])
        #expect(gainRows.scalars == (0..<4).flatMap { result.perExample.row($0).slice(gain).scalars })

        let (squaredGradientNorm, traceOfCovariance) = result.perExample.gradientNoiseEstimates(mean: result.gradient)
        let rows = (0..<4).map { result.perExample.row($0).scalars.map(Double.init) }
        let mean = result.gradient.scalars.map(Double.init)
        let trace = rows.reduce(0) { total, row in total + zip(row, mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } } / 3
        #expect(abs(traceOfCovariance - trace) <= 1e-4 * trace, "tr(Σ): \(traceOfCovariance) vs \(trace)")
        let g2 = mean.reduce(0) { $0 + $1 * $1 } - trace / 4
        #expect(abs(squaredGradientNorm - g2) <= 1e-4 * abs(g2) + 1e-6 * trace, "|G|²: \(squaredGradientNorm) vs \(g2)")
    }
}
