// MLP+PerExampleObjective: an MLP's per-example objectives — its loss, gradient and per-example
// gradients for a sampling vector W, all in one backward pass (every parameter of an MLP is the
// weight or bias of a linear layer over the examples' rows).

extension MLP {
    /// L(θ) = Σᵢ Wᵢℓᵢ(θ) with ℓᵢ the softmax cross-entropy of example i, its gradient, and the
    /// per-example gradients ∇ℓᵢ of the examples with a non-zero weight (`PerExampleObjective`).
    /// The same loss and gradient as `objective(inputs:labels:)`; every segment takes the
    /// one-pass path (Goodfellow 2015), so `perExample.loopSegments` is empty.
    public func perExampleObjective(inputs: Tensor, labels: [Int]) -> PerExampleObjective {
        checkInputs(inputs)
        check(labels.count == inputs.shape[0], "\(labels.count) labels for \(inputs.shape[0]) examples")
        let classes = sizes[sizes.count - 1]
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            fail("label \(bad) is outside the model's 0..<\(classes) classes")
        }
        let objective = NoisyOptim.perExampleObjective(in: layout) { [self] tape, examples in
            let logits = self(tape.constant(inputs).gatheringRows(examples))
            return tape.recordSoftmaxCrossEntropy(logits, labelCount: examples.count) { labels[examples[$0]] }
        }
        return MLP.checkingExampleCount(objective, inputs.shape[0])
    }

    /// L(θ) = Σᵢ Wᵢℓᵢ(θ) with ℓᵢ = ‖f(xᵢ) − yᵢ‖², its gradient and the per-example gradients;
    /// `targets` holds one row per example (shape [n], or [n, outputs]). The same loss and
    /// gradient as `objective(inputs:targets:)`.
    public func perExampleObjective(inputs: Tensor, targets: Tensor) -> PerExampleObjective {
        checkInputs(inputs)
        let outputs = sizes[sizes.count - 1]
        check(targets.shape == [inputs.shape[0], outputs] || (outputs == 1 && targets.shape == [inputs.shape[0]]),
              "targets of shape \(targets.shape) do not fit \(inputs.shape[0]) examples of \(outputs) outputs")
        let targetRows = targets.reshaped(to: [inputs.shape[0], outputs])
        let objective = NoisyOptim.perExampleObjective(in: layout) { [self] tape, examples in
            let predictions = self(tape.constant(inputs).gatheringRows(examples))
            return squaredError(predictions: predictions, targets: tape.constant(targetRows).gatheringRows(examples), convention: .sum)
        }
        return MLP.checkingExampleCount(objective, inputs.shape[0])
    }

    /// The per-example objective for a data set: cross-entropy on its labels when it has
    /// classes, squared error on its targets otherwise.
    public func perExampleObjective(on dataset: Dataset) -> PerExampleObjective {
        if dataset.classCount != nil {
            return perExampleObjective(inputs: dataset.features, labels: dataset.labels)
        }
        return perExampleObjective(inputs: dataset.features, targets: dataset.targets)
    }

    /// `objective`, after checking that W is over the data's examples.
    private static func checkingExampleCount(_ objective: @escaping PerExampleObjective, _ exampleCount: Int) -> PerExampleObjective {
        { point, weights, request in
            check(weights.exampleCount == exampleCount,
                  "the sampling vector is over \(weights.exampleCount) examples, the data has \(exampleCount)")
            return try objective(point, weights, request)
        }
    }
}
