import Testing
@testable import NoisyOptim

/// A per-example evaluation flags its gradient and its clipped sum as known finite only when the
/// segments it wrote (one-pass and loop) are finite; DP-SGD's noisy gradient is checked as its
/// noise is added, and a non-finite batch is refused with parameters and state unchanged.
@Suite struct PerExampleFinitenessTests {
    /// ℓᵢ = Σⱼ (xᵢW + b)ⱼ + Σⱼ cᵢⱼsⱼ: W and b take the one-pass path, s (an elementwise product)
    /// the loop. ∂ℓᵢ/∂(xᵢW + b) = 1 whatever the values, so a NaN in xᵢ reaches only W's
    /// gradient (xᵢᵀ·1), and a NaN in cᵢ only s's (cᵢ).
    struct Problem {
        var layout = ParameterLayout()
        let w, b, s: ParameterSegment
        var inputs: Tensor
        var extra: Tensor
        let point: Tensor
        static let examples = 6

        init() {
            w = layout.append("w", shape: [4, 3], role: .weight)
            b = layout.append("b", shape: [3], role: .bias)
            s = layout.append("s", shape: [3])
            var generator = TestGenerator(seed: 8)
            inputs = Tensor(shape: [Problem.examples, 4], scalars: generator.floats(Problem.examples * 4))
            extra = Tensor(shape: [Problem.examples, 3], scalars: generator.floats(Problem.examples * 3))
            point = Tensor(shape: [layout.count], scalars: generator.floats(layout.count))
        }

        var objective: PerExampleObjective {
            let (w, b, s, inputs, extra) = (w, b, s, inputs, extra)
            return perExampleObjective(in: layout) { tape, examples in
                let x = tape.constant(inputs).gatheringRows(examples)
                let c = tape.constant(extra).gatheringRows(examples)
                return (linear(x, weight: tape.parameter(w), bias: tape.parameter(b)) + c * tape.parameter(s)).sum(alongAxis: 1)
            }
        }

        static let weights = SampleWeights(exampleCount: examples, indices: [4, 1, 0, 5, 2], weights: [0.3, 0.1, 0.2, 0.25, 0.15])
    }

    @Test(arguments: [PerExampleRequest.matrix, .squaredNorms, .clipped(toNorm: 0.5), .clipped(toNorm: 0.5, includesMatrix: true)])
    func finiteEvaluationIsFlagged(request: PerExampleRequest) throws {
        let problem = Problem()
        let result = try problem.objective(problem.point, Problem.weights, request)
        #expect(result.perExample.loopSegments.map(\.name) == ["s"])
        #expect(result.gradient.isKnownFinite)
        if let clipped = result.perExample.clippedGradient { #expect(clipped.isKnownFinite) }
        // The matrix is not checked: no step reads it.
        if let matrix = result.perExample.matrix { #expect(!matrix.isKnownFinite) }
    }

    /// A NaN or ∞ in one example's data reaching only a one-pass segment (W) or only a loop segment
    /// (s): neither the gradient nor the clipped sum is flagged.
    @Test(arguments: [Float.nan, .infinity], ["one-pass", "loop"])
    func nonFiniteExampleIsNotFlagged(value: Float, path: String) throws {
        var problem = Problem()
        if path == "one-pass" { problem.inputs[5, 2] = value } else { problem.extra[5, 1] = value }
        let reached = path == "one-pass" ? problem.w : problem.s, untouched = path == "one-pass" ? problem.s : problem.w
        for request in [PerExampleRequest.matrix, .clipped(toNorm: 0.5)] {
            let result = try problem.objective(problem.point, Problem.weights, request)
            #expect(!result.gradient.isKnownFinite, "\(request)")
            if let clipped = result.perExample.clippedGradient { #expect(!clipped.isKnownFinite) }
            // The value reached only the segment of the path under test.
            #expect(result.gradient.slice(reached).scalars.contains { !$0.isFinite })
            #expect(result.gradient.slice(untouched).scalars.allSatisfy { $0.isFinite })
        }
    }

    /// The tape reuses the gradient and clipped buffers when the caller drops them: a flag never
    /// carries over from one evaluation to the next.
    @Test func reusedBuffersCarryNoStaleFlag() throws {
        let good = Problem()
        var bad = Problem()
        bad.extra[4, 0] = .nan
        // One tape for both data sets: the closure over `inputs` is the only difference.
        let tape = Tape()
        func evaluate(_ problem: Problem) throws -> (Tensor, Tensor) {
            let (w, b, s, inputs, extra) = (problem.w, problem.b, problem.s, problem.inputs, problem.extra)
            let result = tape.valueWithPerExampleGradients(
                at: problem.point, in: problem.layout, examples: Problem.weights.indices, weights: Problem.weights.weights,
                computing: .clipped(toNorm: 0.5)) { tape, examples in
                let x = tape.constant(inputs).gatheringRows(examples)
                let c = tape.constant(extra).gatheringRows(examples)
                return (linear(x, weight: tape.parameter(w), bias: tape.parameter(b)) + c * tape.parameter(s)).sum(alongAxis: 1)
            }
            return (result.gradient, result.perExample.clippedGradient!)
        }
        var addresses: (UnsafePointer<Float>?, UnsafePointer<Float>?) = (nil, nil)
        for (round, (problem, finite)) in [(good, true), (bad, false), (good, true), (bad, false)].enumerated() {
            let (gradient, clipped) = try evaluate(problem)
            #expect(gradient.isKnownFinite == finite && clipped.isKnownFinite == finite, "round \(round)")
            let bases = (gradient.withUnsafeBufferPointer { $0.baseAddress }, clipped.withUnsafeBufferPointer { $0.baseAddress })
            if round > 0 { #expect(bases == addresses, "the buffers were reused") }
            addresses = bases
        }
    }

    /// DP-SGD: the noisy clipped mean g̃ is flagged, the step on it gives the bits a twin without
    /// privacy gets from a user copy of g̃ (which it checks itself), and a batch with a NaN
    /// example is refused with θ and the state unchanged.
    @Test func privateGradientIsCheckedAsTheNoiseIsAdded() throws {
        let model = MLP(sizes: [5, 6, 3], activation: .tanh)
        var generator = TestGenerator(seed: 21)
        var inputs = Tensor(shape: [40, 5], scalars: generator.floats(200))
        let labels = (0..<40).map { $0 % 3 }
        let privacy = try DifferentialPrivacy(exampleCount: 40, samplingRate: 0.25, clippingNorm: 0.4, noiseMultiplier: 1.1, seed: 9)
        var optimizer = try Adam(layout: model.layout, learningRate: 0.01).withPrivacy(privacy)
        var twin = try Adam(layout: model.layout, learningRate: 0.01)
        var theta = model.initialParameters(seed: 2), twinTheta = theta
        for _ in 0..<3 {
            try optimizer.step(&theta, perExampleObjective: model.perExampleObjective(inputs: inputs, labels: labels))
            #expect(optimizer.privateGradient.isKnownFinite)
            try twin.step(&twinTheta, gradient: Tensor(shape: [model.layout.count], scalars: optimizer.privateGradient.scalars))
            #expect(theta.scalars.map(\.bitPattern) == twinTheta.scalars.map(\.bitPattern))
        }
        // Step 3's batch, with a NaN in the data of one of its examples.
        let kept = DPSGDTests.batch(privacy, step: 3)
        try #require(!kept.isEmpty)
        inputs[kept[0], 1] = .nan
        let stateBefore = optimizer.state, thetaBefore = theta.scalars.map(\.bitPattern)
        #expect(throws: OptimizerError.self) {
            try optimizer.step(&theta, perExampleObjective: model.perExampleObjective(inputs: inputs, labels: labels))
        }
        #expect(!optimizer.privateGradient.isKnownFinite)
        #expect(optimizer.state == stateBefore)
        #expect(theta.scalars.map(\.bitPattern) == thetaBefore)
    }
}
