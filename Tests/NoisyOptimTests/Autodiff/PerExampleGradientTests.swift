import Testing
@testable import NoisyOptim

/// Per-example gradients against the definition: each example alone (W = 1 on it), through the
/// ordinary objective and backward pass.
///
/// Tolerance: rtol 1e-5 (about 80 ulp). A one-pass row entry is one product xᵢⱼ·δᵢₖ, as in the
/// single-example backward's depth-1 GEMM, and δ comes from the same row-local pullbacks; what
/// may differ is the summation order of G·Wᵀ in a B-row and a 1-row GEMM, a few ulp per layer.
/// The summed gradients (Σᵢ Wᵢ·rowᵢ, Xᵀ·diag(W)·Δ, the ordinary objective's) add B terms in
/// different orders, so entries that cancel to nearly zero carry a larger relative error: an
/// absolute floor of 1e-6 of the largest entry (tried: without it, excesses of ~1e-8 appear).
@Suite struct PerExampleGradientTests {
    enum Loss: CaseIterable { case crossEntropy, squaredError }

    struct Problem {
        let model: MLP
        let inputs: Tensor
        let labels: [Int]
        let targets: Tensor
        let point: Tensor

        init(sizes: [Int], activation: Activation, examples: Int, seed: UInt64) {
            model = MLP(sizes: sizes, activation: activation)
            var generator = TestGenerator(seed: seed)
            inputs = Tensor(shape: [examples, sizes[0]], scalars: generator.floats(examples * sizes[0]))
            let classes = sizes[sizes.count - 1]
            labels = (0..<examples).map { ($0 * 7 + 3) % classes }
            targets = Tensor(shape: [examples, classes], scalars: generator.floats(examples * classes))
            point = Tensor(shape: [model.layout.count], scalars: generator.floats(model.layout.count))
        }

        func objective(_ loss: Loss) -> Objective {
            loss == .crossEntropy ? model.objective(inputs: inputs, labels: labels) : model.objective(inputs: inputs, targets: targets)
        }

        func perExampleObjective(_ loss: Loss) -> PerExampleObjective {
            loss == .crossEntropy ? model.perExampleObjective(inputs: inputs, labels: labels)
                : model.perExampleObjective(inputs: inputs, targets: targets)
        }
    }

    /// ∇ℓ of each example in `indices`, alone: the reference rows.
    static func loopRows(_ objective: Objective, at point: Tensor, indices: [Int], exampleCount: Int) throws -> [[Float]] {
        try indices.map { i in
            try objective(point, SampleWeights(exampleCount: exampleCount, indices: [i], weights: [1])).gradient.scalars
        }
    }

    static func expectRowsClose(_ actual: [Float], _ expected: [Float], _ comment: Comment? = nil,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let scale = expected.map(abs).max() ?? 0
        expectClose(actual, expected, absoluteTolerance: 1e-6 * scale, relativeTolerance: 1e-5, comment,
                    sourceLocation: sourceLocation)
    }

    /// Σᵣ cᵣ·rowᵣ in Double.
    static func combination(_ rows: [[Float]], _ coefficients: [Float]) -> [Float] {
        var total = [Double](repeating: 0, count: rows.first?.count ?? 0)
        for (row, c) in zip(rows, coefficients) {
            for j in row.indices { total[j] += Double(c) * Double(row[j]) }
        }
        return total.map { Float($0) }
    }

    /// Every row, the squared norms, the summed and the clipped gradient for one MLP, loss and W,
    /// all against the per-example loop; and the loss and gradient against the ordinary objective.
    func checkAgainstLoop(_ problem: Problem, _ loss: Loss, weights: SampleWeights, clippingNorm: Float = 0.5,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let perExample = problem.perExampleObjective(loss)
        let objective = problem.objective(loss)
        let result = try perExample(problem.point, weights, .clipped(toNorm: clippingNorm, includesMatrix: true))
        let kept = zip(weights.indices, weights.weights).filter { $0.1 != 0 }
        #expect(result.perExample.indices == kept.map(\.0), sourceLocation: sourceLocation)
        #expect(result.perExample.weights == kept.map(\.1), sourceLocation: sourceLocation)
        #expect(result.perExample.loopSegments.isEmpty, "an MLP is all one-pass", sourceLocation: sourceLocation)
        let p = problem.model.layout.count
        #expect(result.perExample.matrix?.shape == [kept.count, p], sourceLocation: sourceLocation)

        let expected = try PerExampleGradientTests.loopRows(objective, at: problem.point, indices: kept.map(\.0),
                                                            exampleCount: weights.exampleCount)
        for r in expected.indices {
            let row = result.perExample.row(r).scalars
            PerExampleGradientTests.expectRowsClose(row, expected[r], "row \(r)", sourceLocation: sourceLocation)
            let squaredNorm = expected[r].reduce(0) { $0 + $1 * $1 }
            expectClose(result.perExample.squaredNorms[r], squaredNorm, relativeTolerance: 1e-5,
                        "‖xᵢ‖²‖δᵢ‖² and Σ g² round differently, a few ulp", sourceLocation: sourceLocation)
        }

        // The ordinary objective: the same loss (same per-example losses, same dot product) and
        // gradient (Xᵀ·diag(W)·Δ against Xᵀ·Δ_W: sums over B reordered, so the floor again).
        let (plainLoss, plainGradient) = try objective(problem.point, weights)
        expectClose(result.loss, plainLoss, relativeTolerance: 1e-6, sourceLocation: sourceLocation)
        PerExampleGradientTests.expectRowsClose(result.gradient.scalars, plainGradient.scalars, "gradient vs objective",
                                                sourceLocation: sourceLocation)
        let w = kept.map(\.1)
        PerExampleGradientTests.expectRowsClose(result.gradient.scalars, PerExampleGradientTests.combination(expected, w),
                                                "Σ Wᵢ·rowᵢ", sourceLocation: sourceLocation)

        let clip = expected.indices.map { r -> Float in
            let norm = expected[r].reduce(0) { $0 + $1 * $1 }.squareRoot()
            return w[r] * min(1, clippingNorm / norm)
        }
        PerExampleGradientTests.expectRowsClose(result.perExample.clippedGradient!.scalars,
                                                PerExampleGradientTests.combination(expected, clip), "clipped sum",
                                                sourceLocation: sourceLocation)
    }

    static let cases: [(Activation, Loss)] = Activation.allCases.flatMap { a in Loss.allCases.map { (a, $0) } }

    @Test(arguments: cases)
    func mlpRowsMatchTheLoop(activation: Activation, loss: Loss) throws {
        let problem = Problem(sizes: [5, 7, 6, 3], activation: activation, examples: 9, seed: 11)
        let weights = SampleWeights(exampleCount: 9, indices: [4, 0, 8, 2, 7], weights: [0.1, 0.3, 0.2, 0.25, 0.15])
        try checkAgainstLoop(problem, loss, weights: weights)
    }

    /// Wider layers (17 → 33 → 10): vector loops with tails in the outer products and the copies.
    @Test(arguments: Loss.allCases)
    func widerLayersHaveVectorTails(loss: Loss) throws {
        let problem = Problem(sizes: [17, 33, 10], activation: .tanh, examples: 12, seed: 5)
        try checkAgainstLoop(problem, loss, weights: .batch([3, 11, 0, 6, 9, 1, 4, 8], exampleCount: 12), clippingNorm: 0.2)
    }

    /// Big enough (B·P = 32 · 9610) for the matrix's rows to be split over threads when the
    /// machine has more than one core: each thread's rows still match the loop.
    @Test func rowsSplitOverThreads() throws {
        let problem = Problem(sizes: [64, 128, 10], activation: .tanh, examples: 40, seed: 29)
        let weights = SampleWeights.batch(Array(stride(from: 39, to: 0, by: -1).prefix(32)), exampleCount: 40)
        let result = try problem.perExampleObjective(.crossEntropy)(problem.point, weights, .matrix)
        let expected = try PerExampleGradientTests.loopRows(problem.objective(.crossEntropy), at: problem.point,
                                                            indices: weights.indices, exampleCount: 40)
        for r in expected.indices {
            PerExampleGradientTests.expectRowsClose(result.perExample.row(r).scalars, expected[r], "row \(r)")
        }
    }

    @Test(arguments: Loss.allCases)
    func oneExample(loss: Loss) throws {
        let problem = Problem(sizes: [4, 6, 3], activation: .relu, examples: 5, seed: 3)
        try checkAgainstLoop(problem, loss, weights: SampleWeights(exampleCount: 5, indices: [2], weights: [0.7]))
    }

    /// Non-uniform and negative weights (Gaussian sampling), zeros dropped, repeats kept as rows.
    @Test(arguments: Loss.allCases)
    func weightedLossDropsZerosAndKeepsRepeats(loss: Loss) throws {
        let problem = Problem(sizes: [3, 5, 4], activation: .sigmoid, examples: 6, seed: 8)
        let weights = SampleWeights(exampleCount: 6, indices: [1, 5, 3, 1, 0, 4], weights: [0.5, 0, -0.2, 1.5, 0, 0.05])
        try checkAgainstLoop(problem, loss, weights: weights)
        let result = try problem.perExampleObjective(loss)(problem.point, weights, .matrix)
        #expect(result.perExample.indices == [1, 3, 1, 4])
        #expect(result.perExample.row(0).scalars == result.perExample.row(2).scalars, "a repeated example gives the same row twice")
    }

    /// Without the matrix: the same norms, gradient and clipped sum, computed from ‖xᵢ‖²‖δᵢ‖².
    @Test func normsAndClippedSumWithoutTheMatrix() throws {
        let problem = Problem(sizes: [6, 8, 4], activation: .tanh, examples: 10, seed: 21)
        let f = problem.perExampleObjective(.crossEntropy)
        let weights = SampleWeights.batch([9, 2, 5, 7], exampleCount: 10)
        let full = try f(problem.point, weights, .clipped(toNorm: 0.3, includesMatrix: true))
        let lean = try f(problem.point, weights, .clipped(toNorm: 0.3))
        #expect(lean.perExample.matrix == nil)
        #expect(lean.perExample.squaredNorms == full.perExample.squaredNorms)
        #expect(lean.gradient.scalars == full.gradient.scalars)
        #expect(lean.perExample.clippedGradient!.scalars == full.perExample.clippedGradient!.scalars)
        #expect(try f(problem.point, weights, .squaredNorms).perExample.clippedGradient == nil)
    }

    /// A clipping norm above every ‖∇ℓᵢ‖ clips nothing: the clipped sum is the gradient.
    @Test func largeClippingNormLeavesTheGradient() throws {
        let problem = Problem(sizes: [4, 5, 3], activation: .relu, examples: 6, seed: 2)
        let result = try problem.perExampleObjective(.squaredError)(problem.point, .batch([0, 1, 2, 3], exampleCount: 6),
                                                                     .clipped(toNorm: 1e6))
        #expect(result.perExample.clippedGradient!.scalars == result.gradient.scalars)
    }

    /// A segment's rows are its columns of the matrix, in the segment's shape.
    @Test func rowsOfASegment() throws {
        let problem = Problem(sizes: [3, 4, 2], activation: .tanh, examples: 5, seed: 6)
        let result = try problem.perExampleObjective(.crossEntropy)(problem.point, .batch([4, 1, 2], exampleCount: 5), .matrix)
        for segment in problem.model.layout.segments {
            let rows = result.perExample.rows(of: segment)
            #expect(rows.shape == [3] + segment.shape)
            #expect(rows.scalars == (0..<3).flatMap { result.perExample.row($0).slice(segment).scalars })
        }
    }

    /// The noise-scale estimates from the norms alone against the sample covariance of the rows.
    /// rtol 1e-4: S − ‖ḡ‖² subtracts sums of squares that agree to about one digit here, from
    /// Float norms (relative error ~1e-7 each), in Double.
    @Test func gradientNoiseEstimatesMatchTheSampleCovariance() throws {
        let problem = Problem(sizes: [4, 6, 3], activation: .tanh, examples: 10, seed: 13)
        let weights = SampleWeights.batch([0, 2, 3, 5, 7, 8], exampleCount: 10)
        let result = try problem.perExampleObjective(.crossEntropy)(problem.point, weights, .matrix)
        let rows = (0..<6).map { result.perExample.row($0).scalars.map(Double.init) }
        let mean = (0..<rows[0].count).map { j in rows.reduce(0) { $0 + $1[j] } / 6 }
        let trace = rows.reduce(0) { total, row in total + zip(row, mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } } / 5
        let gradientSquared = mean.reduce(0) { $0 + $1 * $1 } - trace / 6
        let (g2, tr) = result.perExample.gradientNoiseEstimates(mean: result.gradient) // W = 1/B: the gradient is ḡ
        expectClose(tr, trace, relativeTolerance: 1e-4)
        expectClose(g2, gradientSquared, relativeTolerance: 1e-4)
    }

    /// `perExampleObjective(on:)` picks cross-entropy for classes and squared error otherwise, as
    /// `objective(on:)` does; and the free function agrees with the tape method bit for bit.
    @Test func datasetBuildersAndTheFreeFunction() throws {
        let problem = Problem(sizes: [3, 4, 3], activation: .relu, examples: 6, seed: 19)
        let weights = SampleWeights(exampleCount: 6, indices: [2, 5, 1], weights: [0.5, 0.3, 0.2])
        let scalarOutput = Problem(sizes: [3, 4, 1], activation: .relu, examples: 6, seed: 19) // regression targets are [n]
        let cases = [
            (problem, try Dataset(features: problem.inputs, targets: Tensor(problem.labels.map(Float.init)), classCount: 3), Loss.crossEntropy),
            (scalarOutput, try Dataset(features: scalarOutput.inputs, targets: scalarOutput.targets.reshaped(to: [6])), .squaredError),
        ]
        for (p, dataset, loss) in cases {
            let fromDataset = try p.model.perExampleObjective(on: dataset)(p.point, weights, .matrix)
            let direct = try p.perExampleObjective(loss)(p.point, weights, .matrix)
            #expect(fromDataset.gradient.scalars == direct.gradient.scalars)
            #expect(fromDataset.perExample.matrix!.scalars == direct.perExample.matrix!.scalars)
        }
        let free = valueWithPerExampleGradients(at: problem.point, in: problem.model.layout, examples: weights.indices,
                                                weights: weights.weights) { tape, examples in
            softmaxCrossEntropy(logits: problem.model(tape.constant(problem.inputs).gatheringRows(examples)),
                                labels: examples.map { problem.labels[$0] })
        }
        let built = try problem.perExampleObjective(.crossEntropy)(problem.point, weights, .matrix)
        #expect(free.value == built.loss)
        #expect(free.perExample.matrix!.scalars == built.perExample.matrix!.scalars)
        #expect(free.perExample.losses == built.perExample.losses)
    }

    @Test func allWeightsZeroGivesNoRows() throws {
        let problem = Problem(sizes: [3, 4, 2], activation: .tanh, examples: 4, seed: 1)
        let result = try problem.perExampleObjective(.crossEntropy)(problem.point,
                                                                     SampleWeights(exampleCount: 4, indices: [1, 2], weights: [0, 0]), .matrix)
        #expect(result.loss == 0)
        #expect(result.gradient.scalars == [Float](repeating: 0, count: problem.model.layout.count))
        #expect(result.perExample.count == 0 && result.perExample.matrix?.shape == [0, problem.model.layout.count])
    }

    /// The one pass issues the plain step's GEMMs and no more: the weight GEMMs of the backward
    /// are replaced by Xᵀ·diag(W)·Δ, not added to (the parameter leaves take no gradient there).
    @Test func onePassIssuesThePlainStepsGEMMs() {
        let problem = Problem(sizes: [5, 7, 6, 3], activation: .tanh, examples: 6, seed: 3)
        let tape = Tape()
        tape.gemmCalls = []
        _ = tape.valueWithGradient(at: problem.point, in: problem.model.layout) { tape in
            weightedSum(softmaxCrossEntropy(logits: problem.model(tape.constant(problem.inputs)), labels: problem.labels),
                        weights: [Float](repeating: 0.2, count: 6))
        }
        let plain = tape.gemmCalls!.map { [$0.m, $0.n, $0.k] }
        tape.gemmCalls = []
        _ = tape.valueWithPerExampleGradients(at: problem.point, in: problem.model.layout, examples: Array(0..<6),
                                              weights: [Float](repeating: 0.2, count: 6), computing: .squaredNorms) { tape, examples in
            softmaxCrossEntropy(logits: problem.model(tape.constant(problem.inputs).gatheringRows(examples)),
                                labels: examples.map { problem.labels[$0] })
        }
        let perExample = tape.gemmCalls!.map { [$0.m, $0.n, $0.k] }
        #expect(perExample.count == plain.count)
        #expect(Set(perExample) == Set(plain))
    }

    /// A steady loop reuses the matrix when the caller lets go of the previous one.
    @Test func matrixBufferIsReused() throws {
        let problem = Problem(sizes: [3, 4, 2], activation: .tanh, examples: 4, seed: 1)
        let f = problem.perExampleObjective(.crossEntropy)
        let weights = SampleWeights.batch([0, 3], exampleCount: 4)
        let first = try f(problem.point, weights, .matrix).perExample.matrix!.storage.pointer
        let second = try f(problem.point, weights, .matrix).perExample.matrix!.storage.pointer
        #expect(first == second)
        let held = try f(problem.point, weights, .matrix)
        let third = try f(problem.point, weights, .matrix)
        #expect(held.perExample.matrix!.storage.pointer != third.perExample.matrix!.storage.pointer)
        #expect(held.perExample.matrix!.scalars == third.perExample.matrix!.scalars)
    }

    // MARK: - The loop fallback

    /// A model the one pass covers only in part: a tied weight (used twice), an elementwise
    /// scale and a transposed product go through the loop; a weight applied by `matmul(x, W)`
    /// takes the one pass; one segment is unused.
    struct PartlyCovered {
        var layout = ParameterLayout()
        let first: Linear, tied: ParameterSegment, scale: ParameterSegment, product: ParameterSegment
        let transposed: ParameterSegment, unused: ParameterSegment
        let inputs: Tensor, targets: Tensor, point: Tensor

        init() {
            first = Linear(inputSize: 4, outputSize: 5, name: "first", in: &layout)
            tied = layout.append("tied", shape: [5, 5], role: .weight)
            scale = layout.append("scale", shape: [5])
            product = layout.append("product", shape: [5, 3], role: .weight)
            transposed = layout.append("transposed", shape: [3, 3], role: .weight)
            unused = layout.append("unused", shape: [2])
            var generator = TestGenerator(seed: 17)
            inputs = Tensor(shape: [7, 4], scalars: generator.floats(28))
            targets = Tensor(shape: [7, 3], scalars: generator.floats(21))
            point = Tensor(shape: [layout.count], scalars: generator.floats(layout.count))
        }

        func losses(_ tape: Tape, _ examples: [Int]) -> Variable {
            let x = tape.constant(inputs).gatheringRows(examples)
            let w = tape.parameter(tied)
            let h = tanh(linear(tanh(first(x)), weight: w, bias: nil))
            let g = linear(h, weight: w, bias: nil) * tape.parameter(scale)
            let p = matmul(tanh(matmul(g, tape.parameter(product))), tape.parameter(transposed), transposingB: true)
            return squaredError(predictions: p, targets: tape.constant(targets).gatheringRows(examples), convention: .sum)
        }
    }

    @Test func uncoveredSegmentsFallBackToTheLoop() throws {
        let model = PartlyCovered()
        let f = perExampleObjective(in: model.layout) { model.losses($0, $1) }
        let plain = objective(in: model.layout) { tape, weights in
            weightedSum(model.losses(tape, weights.indices), weights: weights.weights)
        }
        let weights = SampleWeights(exampleCount: 7, indices: [6, 1, 3, 0], weights: [0.4, 0.1, 0.3, 0.2])
        let result = try f(model.point, weights, .clipped(toNorm: 0.5, includesMatrix: true))
        #expect(result.perExample.loopSegments.map(\.name) == ["tied", "scale", "transposed"])
        let expected = try PerExampleGradientTests.loopRows(plain, at: model.point, indices: weights.indices, exampleCount: 7)
        for r in expected.indices {
            PerExampleGradientTests.expectRowsClose(result.perExample.row(r).scalars, expected[r], "row \(r)")
            #expect(result.perExample.row(r).slice(model.unused).scalars == [0, 0])
            expectClose(result.perExample.squaredNorms[r], expected[r].reduce(0) { $0 + $1 * $1 }, relativeTolerance: 1e-5)
        }
        PerExampleGradientTests.expectRowsClose(result.gradient.scalars, try plain(model.point, weights).gradient.scalars)
        let clip = expected.indices.map { r in
            weights.weights[r] * min(1, 0.5 / expected[r].reduce(0) { $0 + $1 * $1 }.squareRoot())
        }
        PerExampleGradientTests.expectRowsClose(result.perExample.clippedGradient!.scalars,
                                                PerExampleGradientTests.combination(expected, clip))
        let lean = try f(model.point, weights, .clipped(toNorm: 0.5))
        #expect(lean.perExample.squaredNorms == result.perExample.squaredNorms)
        #expect(lean.perExample.clippedGradient!.scalars == result.perExample.clippedGradient!.scalars)
    }

    /// A layer without bias stays on the one pass; a layer applied to two rows per example (a
    /// sequence of two halves) does not: its ∂ℓᵢ/∂W sums two outer products, so it takes the loop.
    @Test func layerWithoutBiasAndLayerOverTwoRowsPerExample() throws {
        var layout = ParameterLayout()
        let halves = Linear(inputSize: 2, outputSize: 3, name: "halves", in: &layout)
        let head = Linear(inputSize: 6, outputSize: 2, hasBias: false, name: "head", in: &layout)
        var generator = TestGenerator(seed: 23)
        let inputs = Tensor(shape: [6, 4], scalars: generator.floats(24))
        let point = Tensor(shape: [layout.count], scalars: generator.floats(layout.count))
        let labels = [1, 0, 0, 1, 1, 0]
        let losses = { (tape: Tape, examples: [Int]) -> Variable in
            let x = tape.constant(inputs).gatheringRows(examples).reshaped(to: [2 * examples.count, 2])
            let h = tanh(halves(x)).reshaped(to: [examples.count, 6])
            return softmaxCrossEntropy(logits: head(h), labels: examples.map { labels[$0] })
        }
        let weights = SampleWeights(exampleCount: 6, indices: [5, 2, 0, 3], weights: [0.1, 0.2, 0.3, 0.4])
        let result = try perExampleObjective(in: layout, losses)(point, weights, .matrix)
        #expect(result.perExample.loopSegments.map(\.name) == ["halves.weight", "halves.bias"])
        let plain = objective(in: layout) { tape, weights in weightedSum(losses(tape, weights.indices), weights: weights.weights) }
        let expected = try PerExampleGradientTests.loopRows(plain, at: point, indices: weights.indices, exampleCount: 6)
        for r in expected.indices {
            PerExampleGradientTests.expectRowsClose(result.perExample.row(r).scalars, expected[r], "row \(r)")
        }
        PerExampleGradientTests.expectRowsClose(result.gradient.scalars, try plain(point, weights).gradient.scalars)
    }

    /// Losses that mix examples (here half the batch mean is taken off each prediction) leave
    /// nothing to the one pass: every used segment goes through the loop, examples alone.
    @Test func lossThatMixesExamplesUsesTheLoopForEverything() throws {
        let model = MLP(sizes: [3, 4, 2], activation: .tanh)
        var generator = TestGenerator(seed: 4)
        let inputs = Tensor(shape: [5, 3], scalars: generator.floats(15))
        let point = Tensor(shape: [model.layout.count], scalars: generator.floats(model.layout.count))
        let losses = { (tape: Tape, examples: [Int]) -> Variable in
            let y = model(tape.constant(inputs).gatheringRows(examples))
            return square(y - y.mean(alongAxis: 0, keepingDimension: true) * 0.5).sum(alongAxis: 1)
        }
        let f = perExampleObjective(in: model.layout, losses)
        let weights = SampleWeights.batch([4, 0, 2], exampleCount: 5)
        let result = try f(point, weights, .matrix)
        #expect(result.perExample.loopSegments == model.layout.segments)
        let alone = try PerExampleGradientTests.loopRows(objective(in: model.layout) { tape, weights in
            weightedSum(losses(tape, weights.indices), weights: weights.weights)
        }, at: point, indices: weights.indices, exampleCount: 5)
        for r in alone.indices { #expect(result.perExample.row(r).scalars == alone[r]) }
    }

    /// The row analysis on small graphs: which ops keep rows apart. Square (4 × 4) values, so
    /// that a sum over the batch axis has as many entries as there are examples.
    @Test func rowDependenceOfOps() {
        var layout = ParameterLayout()
        let w = layout.append("w", shape: [3, 4])
        let point = Tensor(shape: [12], repeating: 0.5)
        let tape = Tape()
        tape.beginRecording(parameters: point, layout: layout)
        defer { tape.endRecording() }
        let x = tape.constant(Tensor(shape: [4, 3], repeating: 1))
        let square4 = tape.constant(Tensor(shape: [4, 4], repeating: 1))
        let y = linear(x, weight: tape.parameter(w), bias: nil)
        let kept = [relu(y), y * tape.constant(Tensor([1, 2, 3, 4])), matmul(y, square4), y.logSoftmax(),
                    y.sum(alongAxis: 1), y.reshaped(to: [4, 2, 2]), linear(y, weight: square4, bias: nil),
                    matmul(x, tape.constant(Tensor(shape: [3, 2], repeating: 1)))]
        let mixed = [y.transposed(), y.sum(), y.sum(alongAxis: 0), matmul(y, square4, transposingA: true), matmul(square4, y),
                     y.gatheringRows([1, 0, 2, 3]), y.reshaped(to: [2, 8]), y.sum(alongAxis: 1).logSoftmax(),
                     y.sum(alongAxis: 1) * y.sum(alongAxis: 1).reshaped(to: [4, 1]), linear(square4, weight: y, bias: nil)]
        let state = tape.rowDependence(rows: 4)
        #expect(state[x.index] == .none)
        #expect(state[y.index] == .rowwise)
        for (k, v) in kept.enumerated() { #expect(state[v.index] == .rowwise, "kept \(k)") }
        for (k, v) in mixed.enumerated() { #expect(state[v.index] == .mixed, "mixed \(k)") }
        #expect(tape.rowDependence(rows: 1).allSatisfy { $0 == .rowwise }, "one example cannot mix")
    }
}
