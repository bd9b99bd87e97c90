// Experiments: the three papers' experiments as grids (settings from PAPERS.md and the issue),
// each cell a training run through the library's public API.

import Foundation
import NoisyOptim

enum Experiments {
    static let names = ["neelakantan", "wu", "orvieto"]

    /// The experiment `name`; `.tiny` shrinks its data (not its models or settings) so that the
    /// debug-build test suite can run every configuration.
    static func named(_ name: String, resources: URL, scale: ExperimentScale = .paper) throws -> Experiment {
        switch name {
        case "neelakantan": try neelakantan(resources: resources, scale: scale)
        case "wu": try wu(resources: resources, scale: scale)
        case "orvieto": try orvieto(resources: resources, scale: scale)
        default: throw CommandLineError.usage("reproduce: '\(name)' is not accepted; expected one of \(names.joined(separator: ", ")) or merge")
        }
    }

    // MARK: - Neelakantan et al. 2015, Section 4.1 and Table 1

    /// 20 hidden ReLU layers of 50 on the digits, SGD lr 0.1, batch 32, clipping at norm 10,
    /// with and without annealed gradient noise (η = 0.01, γ = 0.55), from zero, simple
    /// N(0, 0.1²) and He initializations.
    static func neelakantan(resources: URL, scale: ExperimentScale) throws -> Experiment {
        let data = try scale.shrink(DataLoading.digits(resources: resources), training: 64)
        let model = MLP(sizes: [64] + [Int](repeating: 50, count: 20) + [10], activation: .relu)
        let inits: [(String, Initializer)] = [("zero init", .zeros), ("simple init N(0, 0.1²)", .normal(standardDeviation: 0.1)),
                                              ("He init", .heNormal)]
        var configurations: [String] = [], paper: [String: String] = [:]
        let table = ["zero init": ("11.4 / 10.1", "94.5 / 49.7"), "simple init N(0, 0.1²)": ("95.7 / 51.6", "97.0 / 53.6"),
                     "He init": ("97.4 / 91.7", "97.2 / 91.7")]
        for (name, _) in inits {
            for noisy in [false, true] {
                let label = name + (noisy ? ", noise" : ", no noise")
                configurations.append(label)
                paper[label] = noisy ? table[name]!.1 : table[name]!.0
            }
        }
        let titles = configurations
        return Experiment(
            paper: "neelakantan",
            title: "Neelakantan et al. 2015, Table 1 at the scale of the bundled digits: 20 × 50 ReLU, clipping at norm 10",
            settings: "digits \(data.training.count) train / \(data.test.count) test; MLP 64-(50×20)-10 ReLU; SGD lr 0.1, epochs of batches of 32, global-norm clip 10; noise η = 0.01, γ = 0.55 (σₜ² = η/(1+t)^γ); test accuracy after the last step",
            configurations: configurations,
            metrics: [Metric(key: "accuracy", title: "test accuracy", format: "%.1f", percent: true, showsBest: true),
                      Metric(key: "trainLoss", title: "train loss", format: "%.3f")],
            full: ExperimentSize(steps: 90_000, seeds: 3, quick: false),
            quick: ExperimentSize(steps: 1_500, seeds: 1, quick: true),
            paperColumn: paper, paperColumnTitle: "paper best / mean (MNIST, 40 runs)",
            run: { configuration, seed, steps, progress in
                let (_, initializer) = inits[configuration / 2]
                let noisy = configuration % 2 == 1
                let start = model.layout.initialParameters(seed: UInt64(1000 + seed), weights: initializer, biases: .zeros)
                let settings = OptimizerSettings(name: .sgd, learningRate: 0.1, batchSize: 32,
                                                 gradientNoise: noisy ? (0.01, 0.55) : nil, sampling: .epoch, clipNorm: 10,
                                                 seed: UInt64(1000 + seed))
                let result = try Runner.run(settings, title: titles[configuration], model: model, start: start, data: data,
                                            steps: steps, evaluationInterval: steps, reporter: progress)
                return ["accuracy": result.testAccuracy ?? .nan, "trainLoss": Double(result.trainLoss)]
            })
    }

    // MARK: - Wu et al. 2020

    /// 1000 training digits, 64-128-10 tanh, lr 0.2, b = 32: GD, SGD and the multiplicative
    /// classes with SGD's covariance.
    static func wu(resources: URL, scale: ExperimentScale) throws -> Experiment {
        let digits = try scale.shrink(DataLoading.digits(resources: resources), training: 200)
        var splitter = Philox4x32(seed: 2020)
        let wanted = scale == .tiny ? 100.0 : 1000.0
        let subset = digits.training.stratifiedSplit(trainingFraction: wanted / Double(digits.training.count), using: &splitter).training
        let data = PreparedData(training: subset, test: digits.test, summary: "")
        let model = MLP(sizes: [64, 128, 10], activation: .tanh)
        let runs: [(String, OptimizerName, SamplingChoice)] = [
            ("GD", .gd, .full), ("SGD, b = 32", .sgd, .sgd),
            ("MSGD Gaussian, full Cov", .msgdGaussian, .gaussian),
            ("MSGD Gaussian, diagonal Cov", .msgdGaussianDiagonal, .gaussianDiagonal),
            ("MSGD Bernoulli, p = b/n", .msgdBernoulli, .bernoulli),
            ("MSGD sparse Gaussian, B = 128", .msgdSparseGaussian, .sparseGaussian),
        ]
        return Experiment(
            paper: "wu",
            title: "Wu et al. 2020: the class of the sampling noise, with SGD's covariance, does not matter",
            settings: "\(subset.count) training digits (stratified), \(digits.test.count) test; MLP 64-128-10 tanh, Glorot init; lr 0.2; every class imitates b = 32 (Cov[W] matched to SGD without replacement); test accuracy after the last step",
            configurations: runs.map(\.0),
            metrics: [Metric(key: "accuracy", title: "test accuracy", format: "%.2f", percent: true),
                      Metric(key: "trainLoss", title: "train loss", format: "%.4f")],
            full: ExperimentSize(steps: 3_000, seeds: 5, quick: false),
            quick: ExperimentSize(steps: 300, seeds: 2, quick: true),
            run: { configuration, seed, steps, progress in
                let (title, name, sampling) = runs[configuration]
                let settings = OptimizerSettings(name: name, learningRate: 0.2, batchSize: 32, sampling: sampling, seed: UInt64(2000 + seed))
                let start = model.initialParameters(seed: UInt64(2000 + seed))
                let result = try Runner.run(settings, title: title, model: model, start: start, data: data, steps: steps,
                                            evaluationInterval: steps, reporter: progress)
                return ["accuracy": result.testAccuracy ?? .nan, "trainLoss": Double(result.trainLoss)]
            })
    }

    // MARK: - Orvieto et al. 2023

    static let widths = [64, 128, 256, 512, 1024]

    /// The diagonal linear network β = u ⊙ v, L = (1/4n)‖Xβ − y‖², d = 100, n = 40, a 5-sparse
    /// target, u₀ = v₀ = 1, lr 0.05: GD against perturbed GD (σ = 0.05, all and layer-wise); and
    /// the gradient variance under perturbation of a two-layer MLP as its width grows.
    static func orvieto(resources: URL, scale: ExperimentScale) throws -> Experiment {
        let digits = try DataLoading.digits(resources: resources)
        let batch = digits.training.subset(Array(0..<(scale == .tiny ? 32 : 256)))
        var configurations = ["GD", "perturbed GD, all (σ/√2 each)", "perturbed GD, layer-wise (σ)"]
        for width in widths { for mode in ["all", "layer"] { configurations.append("MLP 64-\(width)-10, ξ \(mode)") } }
        return Experiment(
            paper: "orvieto",
            title: "Orvieto et al. 2023: noise injection as explicit regularization (diagonal linear network) and the variance of all-at-once noise in wide nets",
            settings: "β = u ⊙ v (2 tensors), d = 100, n = 40, 5-sparse target w* (ones), X ~ N(0, 1), u₀ = v₀ = 1, lr 0.05, σ = 0.05; test error on 1000 fresh rows; support: share of w*'s 5 coordinates among β's 5 largest. MLP rows: tanh 64-h-10 at its Glorot init on 256 digits, E‖g(θ + ξ) − ḡ‖² over perturbations ξ (σ = 0.05; all: σ/√4 on each of the 4 tensors, layer: σ on one tensor a step)",
            configurations: configurations,
            metrics: [Metric(key: "l1", title: "‖u ⊙ v‖₁ (w*: 5)", format: "%.3f"),
                      Metric(key: "testError", title: "test error", format: "%.2e"),
                      Metric(key: "support", title: "support recovered", format: "%.0f", percent: true),
                      Metric(key: "variance", title: "gradient variance", format: "%.3e")],
            full: ExperimentSize(steps: 200_000, seeds: 3, quick: false),
            quick: ExperimentSize(steps: 20_000, seeds: 1, quick: true),
            run: { configuration, seed, steps, progress in
                if configuration < 3 {
                    return try diagonalNetwork(mode: configuration, seed: seed, steps: steps, progress: progress)
                }
                let index = configuration - 3
                return try perturbedGradientVariance(width: widths[index / 2], allAtOnce: index % 2 == 0, data: batch, seed: seed,
                                                     samples: steps >= 100_000 ? 64 : 16)
            })
    }

    /// One run of the diagonal linear network: mode 0 GD, 1 perturbed all, 2 perturbed layer-wise.
    static func diagonalNetwork(mode: Int, seed: Int, steps: Int, progress: ConsoleReporter?) throws -> [String: Double] {
        let d = 100, n = 40, k = 5
        var generator = Philox4x32(seed: UInt64(3000 + seed))
        var x = [Float](repeating: 0, count: n * d), xTest = [Float](repeating: 0, count: 1000 * d)
        x.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, standardDeviation: 1) }
        xTest.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, standardDeviation: 1) }
        let support = Array(Array(0..<d).shuffled(using: &generator).prefix(k))
        var target = [Float](repeating: 0, count: d)
        for i in support { target[i] = 1 }
        let features = Tensor(shape: [n, d], scalars: x), testFeatures = Tensor(shape: [1000, d], scalars: xTest)
        let w = Tensor(shape: [d, 1], scalars: target)
        let y = features.matmul(w), yTest = testFeatures.matmul(w)

        var layout = ParameterLayout()
        let u = layout.append("u", shape: [d], role: .weight), v = layout.append("v", shape: [d], role: .weight)
        let objective = NoisyOptim.objective(in: layout) { tape, _ in
            let beta = (tape.parameter(u) * tape.parameter(v)).reshaped(to: [d, 1])
            let residual = matmul(tape.constant(features), beta) - tape.constant(y)
            return square(residual).sum() * (1 / Float(4 * n))
        }
        let start = Tensor(shape: [2 * d], repeating: 1)
        let optimizer: any Optimizer = mode == 0
            ? try SGD(layout: layout, learningRate: 0.05)
            : try PerturbedGD(layout: layout, learningRate: 0.05, perturbation: Perturbation(sigma: 0.05, mode: mode == 1 ? .allSegments : .layerWise, seed: UInt64(4000 + seed)))
        let theta = try diagonalRun(optimizer, start: start, objective: objective, steps: steps, progress: progress)
        let beta = (0..<d).map { theta.scalars[$0] * theta.scalars[d + $0] }
        let prediction = testFeatures.matmul(Tensor(shape: [d, 1], scalars: beta))
        let testError = Double(square(prediction - yTest).mean())
        let top = Set((0..<d).sorted { abs(beta[$0]) > abs(beta[$1]) }.prefix(k))
        return ["l1": beta.reduce(0.0) { $0 + Double(abs($1)) }, "testError": testError,
                "support": Double(top.intersection(support).count) / Double(k)]
    }

    private static func diagonalRun<O: Optimizer>(_ optimizer: O, start: Tensor, objective: @escaping Objective, steps: Int,
                                                 progress: ConsoleReporter?) throws -> Tensor {
        var loop = TrainingLoop(optimizer: optimizer, parameters: start, objective: objective)
        if let progress { loop.callbacks.append(progress.callback) }
        do { try loop.run(steps: steps) } catch let error as TrainingError { throw CommandLineError.failure("diagonal network: \(error)") }
        return loop.parameters
    }

    /// E‖g(θ + ξ) − ḡ‖² at the MLP's initialization, from `samples` perturbations drawn by
    /// `PerturbedGD` itself (steps with learning rate 0, so θ stays and t advances).
    static func perturbedGradientVariance(width: Int, allAtOnce: Bool, data: Dataset, seed: Int, samples: Int) throws -> [String: Double] {
        let model = MLP(sizes: [64, width, 10], activation: .tanh)
        var theta = model.initialParameters(seed: UInt64(5000 + seed))
        let base = model.objective(on: data)
        var gradients: [[Float]] = []
        var optimizer = try PerturbedGD(layout: model.layout, learningRate: 0, perturbation: Perturbation(sigma: 0.05, mode: allAtOnce ? .allSegments : .layerWise, seed: UInt64(6000 + seed))).withSampling(FullBatch(exampleCount: data.count), seed: 0)
        for _ in 0..<samples {
            try optimizer.step(&theta) { point, weights in
                let result = try base(point, weights)
                gradients.append(result.gradient.scalars)
                return result
            }
        }
        let count = gradients[0].count
        var mean = [Double](repeating: 0, count: count)
        for g in gradients { for i in 0..<count { mean[i] += Double(g[i]) / Double(samples) } }
        var total = 0.0
        for g in gradients { for i in 0..<count { let e = Double(g[i]) - mean[i]; total += e * e } }
        return ["variance": total / Double(samples - 1)]
    }
}
