// Evaluation: a model's loss and accuracy on held-out data, the numbers a training loop records
// every k steps.

/// The loss (and, for classification, the accuracy) of parameters on a data set.
public struct EvaluationResult: Codable, Sendable, Hashable {
    /// The mean per-example loss, (1/n) Σᵢ ℓᵢ(θ).
    public var loss: Float
    /// The share of examples classified correctly; nil for regression.
    public var accuracy: Double?

    /// A result of `loss` and `accuracy`.
    public init(loss: Float, accuracy: Double?) {
        self.loss = loss
        self.accuracy = accuracy
    }
}

/// How a training loop scores parameters on held-out data. Not `Sendable`: it calls an objective,
/// which keeps one tape.
public struct Evaluation {
    /// θ ↦ the loss and accuracy of θ.
    public let evaluate: (Tensor) throws -> EvaluationResult

    /// An evaluation by `evaluate`.
    public init(_ evaluate: @escaping (Tensor) throws -> EvaluationResult) {
        self.evaluate = evaluate
    }

    /// `model`'s mean loss on all of `data` (cross-entropy with classes, squared error without)
    /// and, with classes, its accuracy: the share of rows whose largest output is the label.
    public static func on(_ data: Dataset, model: MLP) -> Evaluation {
        let objective = model.objective(on: data)
        let everything = SampleWeights.full(exampleCount: data.count)
        let labels = data.classCount == nil ? nil : data.labels
        return Evaluation { parameters in
            let loss = try objective(parameters, everything).loss
            let accuracy = labels.map { labels in
                NoisyOptim.accuracy(predicted: model.predictions(at: parameters, inputs: data.features), labels: labels)
            }
            return EvaluationResult(loss: loss, accuracy: accuracy)
        }
    }
}

extension MLP {
    /// The predicted class of each row of `inputs`: the index of its largest output.
    public func predictions(at parameters: Tensor, inputs: Tensor) -> [Int] {
        outputs(at: parameters, inputs: inputs).argmax(alongAxis: 1)
    }

    /// The share of `data`'s examples whose predicted class is their label.
    public func accuracy(at parameters: Tensor, on data: Dataset) -> Double {
        check(data.classCount != nil, "accuracy needs class labels; this data set is a regression")
        return NoisyOptim.accuracy(predicted: predictions(at: parameters, inputs: data.features), labels: data.labels)
    }

    /// The confusion matrix of the predictions on `data` against its labels.
    public func confusionMatrix(at parameters: Tensor, on data: Dataset) -> ConfusionMatrix {
        guard let classCount = data.classCount else { fail("a confusion matrix needs class labels; this data set is a regression") }
        return ConfusionMatrix(predicted: predictions(at: parameters, inputs: data.features), labels: data.labels,
                               classCount: classCount)
    }
}
