// MLP+Objective: the objective closures of an MLP (loss and gradient at a point, for a sampling
// vector W) that the optimizers step with.

extension MLP {
    /// L(θ) = Σᵢ Wᵢ ℓᵢ(θ) with ℓᵢ the softmax cross-entropy of example i, and its gradient in
    /// the flat layout: the closure an optimizer calls with the point θ and the sampling vector W
    /// it chose. Only the examples listed in W (with a non-zero weight) are evaluated: their rows
    /// are gathered into one batch.
    ///
    /// The closure keeps one `Tape` (see `objective(in:_:)`), so repeated calls reuse its
    /// buffers; it is not meant to be called from several threads at once.
    public func objective(inputs: Tensor, labels: [Int]) -> Objective {
        checkInputs(inputs)
        check(labels.count == inputs.shape[0], "\(labels.count) labels for \(inputs.shape[0]) examples")
        let classes = sizes[sizes.count - 1]
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) {
            fail("label \(bad) is outside the model's 0..<\(classes) classes")
        }
        return NoisyOptim.objective(in: layout) { [self] tape, weights in
            let (indices, w) = MLP.nonZero(weights, exampleCount: inputs.shape[0])
            let logits = self(tape.constant(inputs).gatheringRows(indices))
            let losses = tape.recordSoftmaxCrossEntropy(logits, labelCount: indices.count) { labels[indices[$0]] }
            return weightedSum(losses, weights: w)
        }
    }

    /// L(θ) = Σᵢ Wᵢ ℓᵢ(θ) with ℓᵢ = ‖f(xᵢ) − yᵢ‖² the squared error of example i, and its
    /// gradient; `targets` holds one row per example (shape [n] for a single output, or
    /// [n, outputs]). As `objective(inputs:labels:)`, only the examples in W are evaluated.
    public func objective(inputs: Tensor, targets: Tensor) -> Objective {
        checkInputs(inputs)
        let outputs = sizes[sizes.count - 1]
        check(targets.shape == [inputs.shape[0], outputs] || (outputs == 1 && targets.shape == [inputs.shape[0]]),
                     "targets of shape \(targets.shape) do not fit \(inputs.shape[0]) examples of \(outputs) outputs")
        let targetRows = targets.reshaped(to: [inputs.shape[0], outputs])
        return NoisyOptim.objective(in: layout) { [self] tape, weights in
            let (indices, w) = MLP.nonZero(weights, exampleCount: inputs.shape[0])
            let predictions = self(tape.constant(inputs).gatheringRows(indices))
            let losses = squaredError(predictions: predictions, targets: tape.constant(targetRows).gatheringRows(indices), convention: .sum)
            return weightedSum(losses, weights: w)
        }
    }

    /// The objective for a data set: cross-entropy on its labels when it has classes, squared
    /// error on its targets otherwise.
    public func objective(on dataset: Dataset) -> Objective {
        if dataset.classCount != nil {
            return objective(inputs: dataset.features, labels: dataset.labels)
        }
        return objective(inputs: dataset.features, targets: dataset.targets)
    }

    /// W's entries without the zero weights (which contribute nothing to L or its gradient, so
    /// their examples need not be run). Copies only when there is a zero to drop.
    static func nonZero(_ weights: SampleWeights, exampleCount: Int) -> (indices: [Int], weights: [Float]) {
        check(weights.exampleCount == exampleCount,
                     "the sampling vector is over \(weights.exampleCount) examples, the data has \(exampleCount)"
                     + " (an optimizer without a sampling scheme passes W over 1 example: give it"
                     + " `sampling: FullBatch(exampleCount: \(exampleCount))` for full-batch descent)")
        guard weights.weights.contains(0) else { return (weights.indices, weights.weights) }
        var indices: [Int] = [], values: [Float] = []
        for (i, w) in zip(weights.indices, weights.weights) where w != 0 {
            indices.append(i)
            values.append(w)
        }
        return (indices, values)
    }
}
