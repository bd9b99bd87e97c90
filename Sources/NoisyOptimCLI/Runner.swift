// Runner: one training run of an MLP with one optimizer through `TrainingLoop` — progress on the
// console, held-out curves, optional checkpoints — and what it measured.

import Foundation
import NoisyOptim

/// A point of a run's curves: the mean training loss of the steps since the last point, and the
/// held-out loss and accuracy at `step`.
struct CurvePoint: Codable, Equatable, Sendable {
    var step: Int
    var trainLoss: Float
    var testLoss: Float
    var testAccuracy: Double?
}

/// What one run measured.
struct RunResult: Codable, Equatable, Sendable {
    var name: String
    var noise: String
    var settings: String
    var steps: Int
    /// The full-batch training loss after the last step.
    var trainLoss: Float
    var testLoss: Float
    var testAccuracy: Double?
    /// Wall time per step, evaluations excluded.
    var millisecondsPerStep: Double
    var curve: [CurvePoint]
}

/// How a run is checkpointed and resumed.
struct CheckpointOptions {
    var url: URL?
    var interval: Int = 0
    var resume: URL?
}

enum Runner {
    /// Trains `model` from `start` with the optimizer `settings` describe for `steps` steps in
    /// all (a resumed run continues to the same total), evaluating on the test data every
    /// `evaluationInterval` steps.
    static func run(_ settings: OptimizerSettings, title: String, model: MLP, start: Tensor, data: PreparedData,
                    steps: Int, evaluationInterval: Int, reporter: ConsoleReporter?,
                    checkpoint: CheckpointOptions = CheckpointOptions(), runSettings: String = "",
                    noiseProbe: NoiseProbe? = nil) throws -> RunResult {
        let built = try makeOptimizer(settings, layout: model.layout, exampleCount: data.training.count)
        return try train(built.optimizer, batches: built.batches, settings: settings, title: title, model: model, start: start,
                         data: data, steps: steps, evaluationInterval: evaluationInterval, reporter: reporter,
                         checkpoint: checkpoint, runSettings: runSettings, noiseProbe: noiseProbe)
    }

    /// The generic body: `optimizer` is opened from `any Optimizer` here.
    private static func train<O: Optimizer>(_ optimizer: O, batches: EpochSampling?, settings: OptimizerSettings, title: String,
                                            model: MLP, start: Tensor, data: PreparedData, steps: Int, evaluationInterval: Int,
                                            reporter: ConsoleReporter?, checkpoint: CheckpointOptions,
                                            runSettings: String, noiseProbe: NoiseProbe?) throws -> RunResult {
        let clock = ContinuousClock()
        var evaluationTime = Duration.zero
        let held = Evaluation.on(data.test, model: model)
        let timed = Evaluation { parameters in
            let began = clock.now
            defer { evaluationTime += clock.now - began }
            return try held.evaluate(parameters)
        }
        let objective = model.objective(on: data.training)
        var loop = TrainingLoop(optimizer: optimizer, parameters: start, objective: noiseProbe?.wrap(objective) ?? objective,
                                batches: batches, evaluation: timed, evaluationInterval: evaluationInterval)
        loop.settings = runSettings.isEmpty ? settings.description : runSettings
        loop.stepsPerEpoch = batches?.batchesPerEpoch ?? max(1, data.training.count / settings.batchSize)
        loop.checkpointURL = checkpoint.url
        loop.checkpointInterval = checkpoint.interval
        if let reporter { loop.callbacks.append(reporter.callback) }
        do {
            if let resume = checkpoint.resume {
                try loop.resume(from: resume)
                guard loop.step <= steps else {
                    throw CommandLineError.usage("--resume: \(resume.path) is at step \(loop.step), past the \(steps) steps asked for (--steps/--epochs)")
                }
            }
            if let noiseProbe {
                noiseProbe.nextStep = loop.step
                loop.callbacks.append(noiseProbe.callback)
            }
            let first = loop.step
            let began = clock.now
            try loop.run(steps: steps)
            let elapsed = clock.now - began - evaluationTime
            let trainLoss = try model.objective(on: data.training)(loop.parameters, .full(exampleCount: data.training.count)).loss
            let last = loop.history.evaluations.last?.result
            return RunResult(name: title, noise: settings.noiseDescription, settings: settings.description, steps: steps,
                             trainLoss: trainLoss, testLoss: last?.loss ?? .nan, testAccuracy: last?.accuracy,
                             millisecondsPerStep: seconds(elapsed) * 1000 / Double(max(1, loop.step - first)),
                             curve: curve(loop.history))
        } catch let error as TrainingError {
            throw CommandLineError.failure("\(title): \(error)")
        } catch let error as OptimizerError {
            throw CommandLineError.failure("\(title): \(error)")
        }
    }

    /// One point per evaluation, with the mean training loss since the previous one.
    static func curve(_ history: TrainingHistory) -> [CurvePoint] {
        var previous = 0
        return history.evaluations.map { point in
            defer { previous = point.step }
            let train = history.meanLoss(over: previous..<max(point.step, previous + 1)) ?? .nan
            return CurvePoint(step: point.step, trainLoss: train, testLoss: point.result.loss, testAccuracy: point.result.accuracy)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
