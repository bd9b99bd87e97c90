import Testing
@testable import NoisyOptim

/// Misuse of the per-example API stops with a message naming both sides (exit tests, as in
/// TapeErrorTests: each body runs in a child process whose standard error is checked).
@Suite struct PerExampleErrorTests {
    private func expectMessage(_ result: ExitTest.Result?, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        for fragment in fragments {
            #expect(text.contains(fragment), "standard error lacks \"\(fragment)\": \(text.prefix(400))", sourceLocation: sourceLocation)
        }
    }

    @Test func scalarLossIsNotPerExample() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            let x = Tensor(shape: [4, 2], repeating: 1)
            _ = Tape().valueWithPerExampleGradients(at: model.initialParameters(seed: 1), in: model.layout,
                                                    examples: [0, 1, 3], weights: [1, 1, 1]) { tape, examples in
                softmaxCrossEntropy(logits: model(tape.constant(x).gatheringRows(examples)), labels: [0, 1, 2]).mean()
            }
        }
        expectMessage(result, ["the losses have shape [] but 3 examples have a non-zero weight",
                               "return one unreduced loss per example, shape [3]"])
    }

    @Test func lossesForTheWrongNumberOfExamples() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 1], activation: .tanh)
            let x = Tensor(shape: [4, 2], repeating: 1)
            // Gathers every example instead of the ones W lists (one of which has weight 0).
            _ = Tape().valueWithPerExampleGradients(at: model.initialParameters(seed: 1), in: model.layout,
                                                    examples: [0, 2, 3], weights: [1, 0, 1]) { tape, _ in
                squaredError(predictions: model(tape.constant(x)), targets: Tensor(shape: [4, 1], repeating: 0), convention: .sum)
            }
        }
        expectMessage(result, ["the losses have shape [4] but 2 examples have a non-zero weight", "shape [2]"])
    }

    /// A loss that ignores the examples it is given fails once the loop records one alone.
    @Test func lossOfOneExampleMustHaveOneEntry() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var layout = ParameterLayout()
            let w = layout.append("w", shape: [2])
            let x = Tensor(shape: [2, 2], repeating: 1)
            // An elementwise parameter: the loop records each example alone.
            _ = Tape().valueWithPerExampleGradients(at: Tensor([1, 2]), in: layout, examples: [0, 1], weights: [0.5, 0.5]) { tape, _ in
                square(tape.constant(x) * tape.parameter(w)).sum(alongAxis: 1)
            }
        }
        expectMessage(result, ["the losses of one example alone have shape [2] but must have shape [1]"])
    }

    @Test func examplesAndWeightsOfDifferentLengths() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            _ = Tape().valueWithPerExampleGradients(at: model.initialParameters(seed: 1), in: model.layout,
                                                    examples: [0, 1, 3], weights: [1, 1]) { tape, _ in tape.constant(Tensor([1, 2])) }
        }
        expectMessage(result, ["valueWithPerExampleGradients: 3 examples but 2 weights"])
    }

    @Test func parametersThatDoNotFitTheLayout() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            _ = try model.perExampleObjective(inputs: Tensor(shape: [4, 2], repeating: 1), labels: [0, 1, 2, 0])(
                Tensor([1, 2, 3]), .batch([0], exampleCount: 4), .matrix)
        }
        expectMessage(result, ["the parameters have shape [3] but the layout needs a flat vector of shape [9]"])
    }

    @Test func samplingVectorOverOtherExamples() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            _ = try model.perExampleObjective(inputs: Tensor(shape: [4, 2], repeating: 1), labels: [0, 1, 2, 0])(
                model.initialParameters(seed: 1), .batch([0], exampleCount: 5), .matrix)
        }
        expectMessage(result, ["the sampling vector is over 5 examples, the data has 4"])
    }

    @Test func rowWithoutTheMatrix() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            let r = try model.perExampleObjective(inputs: Tensor(shape: [4, 2], repeating: 1), labels: [0, 1, 2, 0])(
                model.initialParameters(seed: 1), .batch([0, 1], exampleCount: 4), .squaredNorms)
            _ = r.perExample.row(0)
        }
        expectMessage(result, ["PerExampleGradients.row(0): the matrix was not requested"])
    }

    @Test func rowOutOfRange() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            let r = try model.perExampleObjective(inputs: Tensor(shape: [4, 2], repeating: 1), labels: [0, 1, 2, 0])(
                model.initialParameters(seed: 1), .batch([0, 1], exampleCount: 4), .matrix)
            _ = r.perExample.row(2)
        }
        expectMessage(result, ["row 2 is outside 0..<2"])
    }

    @Test func noiseEstimatesNeedTwoRows() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = MLP(sizes: [2, 3], activation: .tanh)
            let r = try model.perExampleObjective(inputs: Tensor(shape: [4, 2], repeating: 1), labels: [0, 1, 2, 0])(
                model.initialParameters(seed: 1), .batch([3], exampleCount: 4), .squaredNorms)
            _ = r.perExample.gradientNoiseEstimates(mean: r.gradient)
        }
        expectMessage(result, ["gradientNoiseEstimates needs at least 2 rows to estimate a covariance, there are 1"])
    }

    @Test func clippingNormMustBePositive() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = PerExampleRequest.clipped(toNorm: -1)
        }
        expectMessage(result, ["the clipping norm C must be positive and finite, got -1.0"])
    }
}
