// TrainCommand: `noisyoptim-demo [options]` — train an MLP on the bundled digits or the user's
// table with one optimizer or all of them, show progress, print the comparison table, and write
// plots, JSON, CSV and checkpoints on request.

import Foundation
import NoisyOptim

/// The options of the training command, parsed and checked.
struct TrainOptions {
    static let specs: [OptionSpec] = [
        OptionSpec(name: "help", value: nil, help: "print this help"),
        OptionSpec(name: "data", value: "FILE", help: "a numeric table, .csv or .csv.gz (default: the bundled digits)"),
        OptionSpec(name: "target-column", value: "N", help: "the target's column, from 0; negative counts from the end (default −1)"),
        OptionSpec(name: "classes", value: "K", help: "K ≥ 2 classes labelled 0..<K (default: inferred; a non-integer target is a regression)"),
        OptionSpec(name: "skip-lines", value: "N", help: "header lines to skip (default 0)"),
        OptionSpec(name: "model", value: "SIZES", help: "layer widths, input to output, e.g. 64-128-10 (default: features-128-outputs)"),
        OptionSpec(name: "activation", value: "NAME", help: "relu, tanh, sigmoid or identity (default tanh)"),
        OptionSpec(name: "init", value: "NAME", help: "default, zeros, normal[:S] (S = 0.1), he, glorot, pytorch, orthogonal[:GAIN]"),
        OptionSpec(name: "optimizer", value: "NAME", help: "all (default: compare every one) or one of the names below"),
        OptionSpec(name: "lr", value: "X", help: "learning rate ≥ 0 (default: per optimizer)"),
        OptionSpec(name: "momentum", value: "X", help: "momentum in [0, 1) for the SGD family"),
        OptionSpec(name: "batch", value: "N", help: "batch size b ≥ 1, at most the training examples (default 32)"),
        OptionSpec(name: "epochs", value: "N", help: "epochs of n/b steps (default 20)"),
        OptionSpec(name: "steps", value: "N", help: "steps, instead of --epochs"),
        OptionSpec(name: "seed", value: "N", help: "seed of the initialization and every noise stream (default 7)"),
        OptionSpec(name: "threads", value: "N", help: "threads for the kernels, 1–256 (default: all cores)"),
        OptionSpec(name: "gradient-noise", value: "ETA[,GAMMA]", help: "add N(0, η/(1+t)^γ) to the gradient; η ≥ 0, γ ≥ 0 (default 0.55)"),
        OptionSpec(name: "perturb", value: "SIGMA[,all|layer]", help: "take the gradient at θ + N(0, σ²): all parameters or one layer a step (default layer)"),
        OptionSpec(name: "sampling", value: "CLASS", help: SamplingChoice.allCases.map(\.rawValue).joined(separator: ", ") + " (default: per optimizer)"),
        OptionSpec(name: "clip", value: "NORM", help: "clip the gradient to global norm NORM > 0"),
        OptionSpec(name: "eval-every", value: "N", help: "evaluate on the test data every N steps (default: 40 points a run)"),
        OptionSpec(name: "plot", value: "FILE.svg", help: "write loss and accuracy curves as an SVG"),
        OptionSpec(name: "json", value: "FILE", help: "write the curves and the final table as JSON"),
        OptionSpec(name: "csv", value: "FILE", help: "write the curves and the final table as CSV"),
        OptionSpec(name: "checkpoint", value: "FILE", help: "save the run to FILE (atomically) every --checkpoint-every steps and at the end"),
        OptionSpec(name: "checkpoint-every", value: "N", help: "steps between checkpoints (default: only at the end)"),
        OptionSpec(name: "resume", value: "FILE", help: "continue the run saved in FILE, bit for bit, to --steps/--epochs"),
        OptionSpec(name: "noise-every", value: "N", help: "every N steps, measure B_simple = tr(Σ)/|G|², the sampling and the injected noise (one optimizer)"),
    ]

    var dataPath: String?
    var targetColumn = -1
    var classes: Int?
    var skipLines = 0
    var modelSizes: [Int]?
    var activation = Activation.tanh
    var initializer = "default"
    var optimizers: [OptimizerName] = []
    var learningRate: Double?
    var momentum: Double?
    var batchSize = 32
    var epochs: Int?
    var steps: Int?
    var seed: UInt64 = 7
    var threads: Int?
    var gradientNoise: (eta: Double, gamma: Double)?
    var perturbation: (sigma: Double, mode: PerturbationMode)?
    var sampling: SamplingChoice?
    var clipNorm: Double?
    var evaluationInterval: Int?
    var plotPath: String?
    var jsonPath: String?
    var csvPath: String?
    var checkpointPath: String?
    var checkpointInterval = 0
    var resumePath: String?
    var noiseInterval: Int?
    var help = false

    /// The optimizers the default comparison runs.
    static let comparison: [OptimizerName] = [.gd, .sgd, .momentum, .nesterov, .noisySGD, .msgdGaussian, .msgdBernoulli,
                                              .perturbedGD, .antiPGD, .adam]

    init(_ arguments: [String]) throws {
        let args = try Arguments(arguments, specs: TrainOptions.specs)
        if let extra = args.positionals.first {
            throw CommandLineError.usage("unexpected argument '\(extra)'; the only command is 'reproduce', everything else is an --option")
        }
        help = args.has("help")
        dataPath = args.string("data")
        targetColumn = try args.int("target-column", in: -10_000...10_000, "a column index (negative counts from the end)") ?? -1
        classes = try args.int("classes", in: 2...100_000, "an integer K ≥ 2")
        skipLines = try args.int("skip-lines", in: 0...1_000_000, "an integer ≥ 0") ?? 0
        if let text = args.string("model") {
            let sizes = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            guard sizes.count >= 2, sizes.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1 << 16 }) else {
                throw CommandLineError.usage("--model: '\(text)' is not accepted; expected widths from input to output joined by '-', e.g. 64-128-10")
            }
            modelSizes = sizes.map { $0! }
        }
        if let name = try args.choice("activation", Activation.allCases.map(\.rawValue)) { activation = Activation(rawValue: name)! }
        if let text = args.string("init") {
            _ = try TrainOptions.initializer(text, activation: activation)
            initializer = text
        }
        if let name = try args.choice("optimizer", ["all"] + OptimizerName.allCases.map(\.rawValue)), name != "all" {
            optimizers = [OptimizerName(rawValue: name)!]
        }
        learningRate = try args.double("lr", "a number ≥ 0, e.g. 0.1") { $0 >= 0 }
        momentum = try args.double("momentum", "a number in [0, 1), e.g. 0.9") { $0 >= 0 && $0 < 1 }
        batchSize = try args.int("batch", in: 1...Int(Int32.max), "an integer ≥ 1") ?? 32
        epochs = try args.int("epochs", in: 1...1_000_000, "an integer ≥ 1")
        steps = try args.int("steps", in: 1...1_000_000_000, "an integer ≥ 1")
        if epochs != nil && steps != nil { throw CommandLineError.usage("--epochs and --steps: give one of them, not both") }
        if let value = try args.int("seed", in: 0...Int.max, "an integer ≥ 0") { seed = UInt64(value) }
        threads = try args.int("threads", in: 1...256, "an integer from 1 to 256")
        if let text = args.string("gradient-noise") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Arguments.number(String($0)) }
            guard (1...2).contains(parts.count), let eta = parts[0], eta >= 0, parts.count == 1 || (parts[1] ?? -1) >= 0 else {
                throw CommandLineError.usage("--gradient-noise: '\(text)' is not accepted; expected ETA or ETA,GAMMA with η ≥ 0 and γ ≥ 0, e.g. 0.01,0.55")
            }
            gradientNoise = (eta, parts.count == 2 ? parts[1]! : 0.55)
        }
        if let text = args.string("perturb") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), let sigma = Arguments.number(parts[0]), sigma >= 0,
                  parts.count == 1 || PerturbationMode(rawValue: parts[1]) != nil else {
                throw CommandLineError.usage("--perturb: '\(text)' is not accepted; expected SIGMA, SIGMA,all or SIGMA,layer with σ ≥ 0, e.g. 0.05,layer")
            }
            perturbation = (sigma, parts.count == 2 ? PerturbationMode(rawValue: parts[1])! : .layer)
        }
        if let name = try args.choice("sampling", SamplingChoice.allCases.map(\.rawValue)) { sampling = SamplingChoice(rawValue: name)! }
        clipNorm = try args.double("clip", "a norm > 0, e.g. 10") { $0 > 0 }
        evaluationInterval = try args.int("eval-every", in: 1...1_000_000_000, "an integer ≥ 1")
        plotPath = args.string("plot")
        if let plotPath, !plotPath.lowercased().hasSuffix(".svg") {
            throw CommandLineError.usage("--plot: '\(plotPath)' is not accepted; expected a file name ending in .svg")
        }
        jsonPath = args.string("json")
        csvPath = args.string("csv")
        checkpointPath = args.string("checkpoint")
        checkpointInterval = try args.int("checkpoint-every", in: 1...1_000_000_000, "an integer ≥ 1") ?? 0
        resumePath = args.string("resume")
        if (checkpointPath != nil || resumePath != nil) && optimizers.count != 1 {
            let option = checkpointPath != nil ? "--checkpoint" : "--resume"
            throw CommandLineError.usage("\(option) needs one optimizer: add --optimizer NAME (a comparison of all is not checkpointed)")
        }
        noiseInterval = try args.int("noise-every", in: 1...1_000_000_000, "an integer ≥ 1")
        if noiseInterval != nil && optimizers.count != 1 {
            throw CommandLineError.usage("--noise-every needs one optimizer: add --optimizer NAME")
        }
        if checkpointInterval > 0 && checkpointPath == nil {
            throw CommandLineError.usage("--checkpoint-every needs --checkpoint FILE")
        }
        if let sampling, let name = optimizers.first, !name.acceptsSampling, sampling != name.defaultSampling {
            throw CommandLineError.usage("--sampling \(sampling.rawValue) with --optimizer \(name.rawValue): that optimizer is the \(name.defaultSampling.rawValue) class; use --optimizer sgd --sampling \(sampling.rawValue)")
        }
    }

    /// The initializer `text` names, for weights and biases.
    static func initializer(_ text: String, activation: Activation) throws -> (weights: Initializer, biases: Initializer) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let argument = parts.count == 2 ? Arguments.number(parts[1]) : nil
        let accepted = "default, zeros, normal, normal:S (S > 0), he, glorot, pytorch, orthogonal or orthogonal:GAIN (GAIN > 0)"
        let bad = CommandLineError.usage("--init: '\(text)' is not accepted; expected \(accepted)")
        if parts.count == 2 && (argument == nil || argument! <= 0) { throw bad }
        switch parts[0] {
        case "default" where parts.count == 1: return (activation == .relu ? .heUniform : .glorotUniform, .zeros)
        case "zeros" where parts.count == 1: return (.zeros, .zeros)
        case "normal": return (.normal(standardDeviation: Float(argument ?? 0.1)), .zeros)
        case "he" where parts.count == 1: return (.heNormal, .zeros)
        case "glorot" where parts.count == 1: return (.glorotUniform, .zeros)
        case "pytorch" where parts.count == 1: return (.pytorchLinear, .pytorchLinear)
        case "orthogonal": return (.orthogonal(gain: Float(argument ?? 1)), .zeros)
        default: throw bad
        }
    }

    /// The settings of optimizer `name` under these options.
    func settings(for name: OptimizerName) -> OptimizerSettings {
        OptimizerSettings(name: name, learningRate: learningRate, momentum: momentum, batchSize: batchSize,
                          gradientNoise: gradientNoise, perturbation: perturbation, sampling: sampling, clipNorm: clipNorm,
                          seed: seed)
    }
}

enum TrainCommand {
    static func run(_ arguments: [String], resources: URL, output: (String) -> Void, progress: ConsoleReporter?) throws {
        let options = try TrainOptions(arguments)
        if options.help {
            output(Help.text)
            return
        }
        if let threads = options.threads { Parallelism.maximumThreadCount = threads }
        let data = try options.dataPath.map {
            try DataLoading.table(path: $0, targetColumn: options.targetColumn, classes: options.classes, skipLines: options.skipLines,
                                  seed: options.seed)
        } ?? DataLoading.digits(resources: resources)
        let n = data.training.count
        let outputs = data.classCount ?? 1
        let sizes = options.modelSizes ?? [data.training.featureCount, 128, outputs]
        guard sizes.first == data.training.featureCount else {
            throw CommandLineError.usage("--model: the input width \(sizes[0]) does not match the data's \(data.training.featureCount) features")
        }
        guard sizes.last == outputs else {
            throw CommandLineError.usage("--model: the output width \(sizes.last!) does not match the data's \(data.classCount.map { "\($0) classes" } ?? "1 regression output")")
        }
        guard options.batchSize <= n else {
            throw CommandLineError.usage("--batch: \(options.batchSize) is not accepted; expected 1 ≤ b ≤ \(n), the number of training examples")
        }
        let model = MLP(sizes: sizes, activation: options.activation)
        let (weights, biases) = try TrainOptions.initializer(options.initializer, activation: options.activation)
        let start = model.layout.initialParameters(seed: options.seed, weights: weights, biases: biases)
        let names = options.optimizers.isEmpty ? TrainOptions.comparison : options.optimizers
        let stepsPerEpoch = (n + options.batchSize - 1) / options.batchSize
        let steps = options.steps ?? (options.epochs ?? 20) * n / options.batchSize
        let evaluationInterval = options.evaluationInterval ?? max(1, steps / 40)
        for name in names { _ = try makeOptimizer(options.settings(for: name), layout: model.layout, exampleCount: n) }

        output("""
        NoisyOptim — \(data.summary)
        Model: MLP \(sizes.map(String.init).joined(separator: "-")) (\(options.activation.rawValue)), \(model.layout.count) parameters in one flat vector; \(data.classCount == nil ? "squared error" : "softmax cross-entropy"); init \(options.initializer).
        \(names.count > 1 ? "Every optimizer starts from the same parameters and takes" : "Training for") \(steps) steps (\(String(format: "%.1f", Double(steps) / Double(stepsPerEpoch))) epochs of batch \(options.batchSize)); held-out evaluation every \(evaluationInterval) steps.

        """)
        let single = names.count == 1
        if !single {
            output(column("optimizer", 40) + " " + column("noise", 56) + " train loss  test loss  test acc   ms/step")
        }
        var results: [RunResult] = []
        for name in names {
            let settings = options.settings(for: name)
            progress?.label = column(name.title, 40)
            progress?.keepsFinalLine = single
            var checkpoint = CheckpointOptions()
            checkpoint.url = options.checkpointPath.map { URL(fileURLWithPath: $0) }
            checkpoint.interval = options.checkpointInterval
            checkpoint.resume = options.resumePath.map { URL(fileURLWithPath: $0) }
            let runSettings = "MLP \(sizes) \(options.activation.rawValue) init \(options.initializer); data \(options.dataPath ?? "bundled digits"); \(settings.description); eval every \(evaluationInterval)"
            let probe = options.noiseInterval.map { NoiseProbe(interval: $0, model: model, training: data.training, settings: settings) }
            let result = try Runner.run(settings, title: name.title, model: model, start: start, data: data, steps: steps,
                                        evaluationInterval: evaluationInterval, reporter: progress, checkpoint: checkpoint,
                                        runSettings: runSettings, noiseProbe: probe)
            results.append(result)
            if single {
                output("""
                \(name.title) — \(result.noise)
                final: train loss \(String(format: "%.4f", result.trainLoss)), test loss \(String(format: "%.4f", result.testLoss))\(result.testAccuracy.map { String(format: ", test accuracy %.2f%%", 100 * $0) } ?? ""), \(String(format: "%.3f", result.millisecondsPerStep)) ms/step
                """)
                if let path = options.checkpointPath { output("checkpoint: \(path) (resume with --resume \(path))") }
                if let probe { output(probe.report) }
            } else {
                output(row(result))
            }
        }
        try writeOutputs(results, options: options, command: (["noisyoptim-demo"] + arguments).joined(separator: " "), data: data.summary,
                         output: output)
    }

    static func row(_ result: RunResult) -> String {
        column(result.name, 40) + " " + column(result.noise, 56)
            + String(format: " %10.4f %10.4f  ", result.trainLoss, result.testLoss)
            + (result.testAccuracy.map { String(format: "%7.2f%%", 100 * $0) } ?? "     —  ")
            + String(format: "  %8.3f", result.millisecondsPerStep)
    }

    static func writeOutputs(_ results: [RunResult], options: TrainOptions, command: String, data: String, output: (String) -> Void) throws {
        if let path = options.plotPath {
            let svg = SVGPlot.trainingDocument(title: "NoisyOptim — \(data)", runs: results)
            try Reports.write(Data(svg.utf8), to: path, option: "--plot")
            output("plot: \(path)")
        }
        if let path = options.jsonPath {
            try Reports.write(Reports.json(TrainingReport(command: command, data: data, runs: results)), to: path, option: "--json")
            output("json: \(path)")
        }
        if let path = options.csvPath {
            try Reports.write(Data(Reports.csv(results).utf8), to: path, option: "--csv")
            output("csv: \(path)")
        }
    }
}

/// `text` padded or cut to `width` characters.
func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
