import Foundation
import Testing
@testable import NoisyOptimCLI

/// Every bad command line: exit code 2, one line naming the option and what it accepts, then a
/// usage hint; nothing is trained.
@Suite struct OptionParserTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        /// Fragments the first error line must contain.
        var fragments: [String]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases: [BadInput] = [
        BadInput(arguments: ["--bogus-option"], fragments: ["unknown option '--bogus-option'", "--lr"]),
        BadInput(arguments: ["--learning-rate", "0.1"], fragments: ["unknown option '--learning-rate'"]),
        BadInput(arguments: ["--optimzer", "sgd"], fragments: ["did you mean --optimizer?"]),
        BadInput(arguments: ["garbage"], fragments: ["unexpected argument 'garbage'"]),
        BadInput(arguments: ["-x"], fragments: ["unknown option '-x'"]),
        BadInput(arguments: ["--lr", "abc"], fragments: ["--lr: 'abc'", "a number ≥ 0"]),
        BadInput(arguments: ["--lr", "-1"], fragments: ["--lr: '-1'"]),
        BadInput(arguments: ["--lr", "1e39"], fragments: ["--lr: '1e39'"]), // finite in Double, ∞ in Float32
        BadInput(arguments: ["--lr", "nan"], fragments: ["--lr: 'nan'"]),
        BadInput(arguments: ["--lr"], fragments: ["--lr needs a value"]),
        BadInput(arguments: ["--lr", "--batch", "3"], fragments: ["--lr needs a value"]),
        BadInput(arguments: ["--momentum", "1"], fragments: ["--momentum: '1'", "[0, 1)"]),
        BadInput(arguments: ["--batch", "0"], fragments: ["--batch: '0'", "≥ 1"]),
        BadInput(arguments: ["--batch", "5000"], fragments: ["--batch: 5000", "1438"]),
        BadInput(arguments: ["--epochs", "2", "--steps", "3"], fragments: ["--epochs and --steps"]),
        BadInput(arguments: ["--steps", "0"], fragments: ["--steps: '0'"]),
        BadInput(arguments: ["--optimizer", "foo"], fragments: ["--optimizer: 'foo'", "noisy-sgd", "anti-pgd"]),
        BadInput(arguments: ["--activation", "softplus"], fragments: ["--activation: 'softplus'", "relu, tanh, sigmoid"]),
        BadInput(arguments: ["--init", "normal:-1"], fragments: ["--init: 'normal:-1'", "orthogonal"]),
        BadInput(arguments: ["--init", "xavier"], fragments: ["--init: 'xavier'"]),
        BadInput(arguments: ["--gradient-noise", "x"], fragments: ["--gradient-noise: 'x'", "ETA,GAMMA"]),
        BadInput(arguments: ["--gradient-noise", "0.1,-1"], fragments: ["--gradient-noise: '0.1,-1'"]),
        BadInput(arguments: ["--perturb", "0.1,sideways"], fragments: ["--perturb: '0.1,sideways'", "SIGMA,layer"]),
        BadInput(arguments: ["--sampling", "poisson"], fragments: ["--sampling: 'poisson'", "bernoulli"]),
        BadInput(arguments: ["--optimizer", "msgd-gaussian", "--sampling", "bernoulli"], fragments: ["--sampling bernoulli", "msgd-gaussian"]),
        BadInput(arguments: ["--clip", "0"], fragments: ["--clip: '0'", "> 0"]),
        BadInput(arguments: ["--plot", "curves.png"], fragments: ["--plot: 'curves.png'", ".svg"]),
        BadInput(arguments: ["--model", "64-x-10"], fragments: ["--model: '64-x-10'", "64-128-10"]),
        BadInput(arguments: ["--model", "30-10"], fragments: ["--model", "64 features"]),
        BadInput(arguments: ["--model", "64-128-3"], fragments: ["--model", "10 classes"]),
        BadInput(arguments: ["--checkpoint", "run.json"], fragments: ["--checkpoint needs one optimizer"]),
        BadInput(arguments: ["--checkpoint-every", "5", "--optimizer", "sgd"], fragments: ["--checkpoint-every needs --checkpoint"]),
        BadInput(arguments: ["--threads", "0"], fragments: ["--threads: '0'", "1 to 256"]),
        BadInput(arguments: ["--seed", "-3"], fragments: ["--seed: '-3'"]),
        BadInput(arguments: ["--help=yes"], fragments: ["--help is a flag"]),
        BadInput(arguments: ["reproduce"], fragments: ["reproduce needs a paper", "neelakantan"]),
        BadInput(arguments: ["reproduce", "nobody"], fragments: ["reproduce: 'nobody'", "orvieto"]),
        BadInput(arguments: ["reproduce", "wu", "--shard", "3/2", "--json", "x.json"], fragments: ["--shard: '3/2'", "1 ≤ I ≤ N"]),
        BadInput(arguments: ["reproduce", "wu", "--shard", "1/2"], fragments: ["--shard needs --json"]),
        BadInput(arguments: ["reproduce", "wu", "--seeds", "0"], fragments: ["--seeds: '0'"]),
        BadInput(arguments: ["reproduce", "merge"], fragments: ["reproduce merge needs"]),
        BadInput(arguments: ["reproduce", "wu", "extra"], fragments: ["unexpected argument 'extra'"]),
    ]

    @Test(arguments: cases)
    func badInputExitsWithTwoNamingTheOption(input: BadInput) {
        let run = runTool(input.arguments)
        #expect(run.code == 2)
        #expect(run.output.isEmpty, "nothing may run: \(run.output.prefix(200))")
        #expect(run.errors.count == 2, "\(run.errors)")
        let first = run.errors.first ?? ""
        #expect(first.hasPrefix("noisyoptim-demo: ") && !first.contains("\n"))
        for fragment in input.fragments {
            #expect(first.contains(fragment), "'\(fragment)' missing from: \(first)")
        }
        #expect(run.errors.last?.contains("--help") == true)
    }

    @Test func helpListsEveryOptionAndOptimizer() {
        let run = runTool(["--help"])
        #expect(run.code == 0 && run.errors.isEmpty)
        for spec in TrainOptions.specs + ReproduceOptions.specs { #expect(run.output.contains("--" + spec.name), "--\(spec.name)") }
        for name in OptimizerName.allCases { #expect(run.output.contains(name.rawValue)) }
        #expect(run.output.contains("Neelakantan et al. 2015") && run.output.contains("Wu et al. 2020")
                && run.output.contains("Orvieto et al. 2023"))
        #expect(runTool(["reproduce", "--help"]).code == 0)
    }

    @Test func valuesParse() throws {
        let options = try TrainOptions(["--lr=0.05", "--gradient-noise", "0.3", "--perturb", "0.1,all", "--optimizer", "sgd",
                                        "--model", "64-32-10", "--init", "normal:0.2", "--batch", "16", "--steps", "9"])
        #expect(options.learningRate == 0.05 && options.batchSize == 16 && options.steps == 9)
        #expect(options.gradientNoise?.eta == 0.3 && options.gradientNoise?.gamma == 0.55)
        #expect(options.perturbation?.sigma == 0.1 && options.perturbation?.mode == .all)
        #expect(options.optimizers == [.sgd] && options.modelSizes == [64, 32, 10])
        let (weights, _) = try TrainOptions.initializer("normal:0.2", activation: .tanh)
        #expect(weights == .normal(standardDeviation: 0.2))
    }
}
