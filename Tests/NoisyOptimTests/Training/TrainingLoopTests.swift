import Foundation
import Testing
@testable import NoisyOptim

/// The training loop: epochs of batches reach the objective, evaluation and checkpoint schedules,
/// callbacks, the stop on a non-finite loss, and resume from a checkpoint file bit for bit.
@Suite struct TrainingLoopTests {
    /// 40 examples of 4 Gaussian features in 3 classes (the class shifts the mean), small enough
    /// for debug builds.
    static let data: Dataset = {
        var generator = Philox4x32(seed: 77)
        var features = [Float](repeating: 0, count: 160)
        features.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, standardDeviation: 1) }
        let labels = (0..<40).map { $0 % 3 }
        for i in 0..<40 { features[i * 4 + labels[i]] += 2 }
        return try! Dataset(features: Tensor(shape: [40, 4], scalars: features), targets: Tensor(labels.map(Float.init)),
                            classCount: 3)
    }()
    static let model = MLP(sizes: [4, 6, 3], activation: .tanh)

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func loop<O: Optimizer>(_ optimizer: O, start: Tensor? = nil) throws -> TrainingLoop<O> {
        var loop = TrainingLoop(optimizer: optimizer, parameters: start ?? model.initialParameters(seed: 3),
                                objective: model.objective(on: data),
                                batches: try EpochSampling(exampleCount: 40, batchSize: 8, seed: 21),
                                evaluation: .on(data, model: model), evaluationInterval: 4)
        loop.settings = "test run"
        return loop
    }

    static func noisySGD() throws -> SGD {
        try SGD(layout: model.layout, learningRate: 0.2, momentum: 0.5).withGradientNoise(GradientNoise(eta: 0.3, seed: 5))
    }

    static func perturbed() throws -> PerturbedGD {
        try PerturbedGD(layout: model.layout, learningRate: 0.2, perturbation: Perturbation(sigma: 0.1, mode: .layerWise, seed: 6))
    }

    /// 23 steps straight against 14 steps, a checkpoint file, a fresh loop (other start, fresh
    /// optimizer) resumed from it and run to 23: θ, the optimizer's state and the curves must be
    /// identical, bit for bit (noise, epochs' permutations and momentum all cross the cut).
    @Test func resumeFromAFileContinuesBitForBit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.json")

        var straight = try Self.loop(Self.noisySGD())
        try straight.run(steps: 23)

        var first = try Self.loop(Self.noisySGD())
        first.checkpointURL = file
        first.checkpointInterval = 5
        try first.run(steps: 14)
        var second = try Self.loop(Self.noisySGD(), start: Tensor.zeros([Self.model.layout.count]))
        try second.resume(from: file)
        #expect(second.step == 14)
        try second.run(steps: 23)

        #expect(second.parameters == straight.parameters)
        #expect(second.optimizer.state == straight.optimizer.state)
        #expect(second.history == straight.history)
        #expect(straight.history.losses.count == 23)
        #expect(straight.history.evaluations.map(\.step) == [4, 8, 12, 16, 20, 23])
        #expect(first.history.evaluations.map(\.step) == [4, 8, 12, 14]) // its own end, not in the file
        // Only the checkpoint remains: the temporary files were renamed over it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["run.json"])
    }

    @Test func perturbedDescentResumesBitForBit() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pgd.json")
        var straight = try Self.loop(Self.perturbed())
        try straight.run(steps: 11)
        var first = try Self.loop(Self.perturbed())
        first.checkpointURL = file
        try first.run(steps: 6)
        var second = try Self.loop(Self.perturbed())
        try second.resume(from: file)
        try second.run(steps: 11)
        #expect(second.parameters == straight.parameters)
        #expect(second.history == straight.history)
    }

    /// The objective sees exactly the epoch scheme's W of each step, whatever the optimizer.
    @Test func epochBatchesReachTheObjective() throws {
        let scheme = try EpochSampling(exampleCount: 40, batchSize: 8, seed: 21)
        let base = Self.model.objective(on: Self.data)
        var seen: [SampleWeights] = []
        var loop = TrainingLoop(optimizer: try Self.noisySGD(), parameters: Self.model.initialParameters(seed: 3),
                                objective: { point, weights in
                                    seen.append(weights)
                                    return try base(point, weights)
                                }, batches: scheme)
        try loop.run(epochs: 2)
        #expect(loop.step == 10)
        #expect(seen == (0..<10).map { scheme.weights(atStep: $0) })
    }

    @Test func aCallbackCanStopTheRun() throws {
        var loop = try Self.loop(Self.noisySGD())
        var events: [TrainingProgress.Event] = []
        loop.callbacks.append { progress in
            events.append(progress.event)
            return progress.step == 5 ? .stop : .proceed
        }
        try loop.run(steps: 100)
        #expect(loop.step == 5)
        #expect(events == [.step, .step, .step, .step, .evaluation, .step, .evaluation, .finished])
    }

    /// A loss that turns NaN at step 3 stops the run there, naming the step, before applying it.
    @Test func nonFiniteLossStopsNamingTheStep() throws {
        let base = Self.model.objective(on: Self.data)
        var calls = 0
        let objective: Objective = { point, weights in
            calls += 1
            let (loss, gradient) = try base(point, weights)
            return (calls > 3 ? .nan : loss, gradient)
        }
        var loop = TrainingLoop(optimizer: try Self.noisySGD(), parameters: Self.model.initialParameters(seed: 3),
                                objective: objective, batches: try EpochSampling(exampleCount: 40, batchSize: 8, seed: 1))
        var reference = loop
        try reference.run(steps: 3)
        calls = 0
        let error = #expect(throws: TrainingError.self) { try loop.run(steps: 10) }
        guard case let .nonFiniteLoss(step, loss)? = error else {
            Issue.record("expected nonFiniteLoss, got \(String(describing: error))")
            return
        }
        #expect(step == 3 && loss.isNaN)
        #expect(loop.step == 3)
        #expect(loop.parameters == reference.parameters)
        #expect(TrainingError.nonFiniteLoss(step: 3, loss: .nan).description.contains("step 3"))
    }

    @Test func badCheckpointsAreRefusedNamingTheFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("run.json")
        var loop = try Self.loop(Self.noisySGD())
        loop.checkpointURL = file
        try loop.run(steps: 2)

        var other = try Self.loop(Self.noisySGD())
        other.settings = "another run"
        #expect(throws: TrainingError.self) { try other.resume(from: file) }
        let missing = directory.appendingPathComponent("missing.json")
        let error = #expect(throws: TrainingError.self) { try other.resume(from: missing) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("missing.json"))
        // A torn file (half of a checkpoint), as a non-atomic writer could leave after a crash.
        let torn = directory.appendingPathComponent("torn.json")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count / 2).write(to: torn)
        var same = try Self.loop(Self.noisySGD())
        #expect(throws: TrainingError.self) { try same.resume(from: torn) }
        // Another optimizer's state.
        var adam = try Self.loop(Adam(layout: Self.model.layout, learningRate: 0.01))
        #expect(throws: TrainingError.self) { try adam.resume(from: file) }
        #expect(same.step == 0 && adam.step == 0)
    }

    @Test func evaluationMatchesTheModel() throws {
        let theta = Self.model.initialParameters(seed: 9)
        let result = try Evaluation.on(Self.data, model: Self.model).evaluate(theta)
        #expect(result.accuracy == Self.model.accuracy(at: theta, on: Self.data))
        #expect(result.accuracy == Self.model.confusionMatrix(at: theta, on: Self.data).accuracy)
        let full = try Self.model.objective(on: Self.data)(theta, .full(exampleCount: 40)).loss
        #expect(result.loss == full)
    }

    /// The README's TrainingLoop example, as written there (tiny data, 2 epochs).
    @Test func readmeExample() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (model, training, test) = (Self.model, Self.data, Self.data)
        var written: [String] = []
        // README example starts here.
        var loop = TrainingLoop(optimizer: try SGD(layout: model.layout, learningRate: 0.1, momentum: 0.9),
                                parameters: model.initialParameters(seed: 1),
                                objective: model.objective(on: training),
                                batches: try EpochSampling(exampleCount: training.count, batchSize: 32, seed: 2),
                                evaluation: .on(test, model: model), evaluationInterval: 100)
        loop.checkpointURL = directory.appendingPathComponent("run.ckpt")
        loop.checkpointInterval = 1_000
        loop.callbacks.append(ConsoleReporter(isTerminal: false) { written.append($0) }.callback)
        try loop.run(epochs: 2)
        // README example ends here.
        #expect(loop.step == 4 && loop.history.evaluations.map(\.step) == [4])
        #expect(written.count == 1 && written[0].contains("step 4/4"))
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run.ckpt").path))
    }
}
