// TrainingLoop: steps any optimizer over a data set's objective, with epochs of shuffled batches,
// held-out evaluation every k steps, callbacks, a stop on a non-finite loss, and periodic
// checkpoints that resume bit for bit.

import Foundation

/// What a callback sees after each step, evaluation and checkpoint, and at the end.
public struct TrainingProgress: Sendable {
    /// What just happened.
    public enum Event: Sendable, Equatable {
        /// A step was taken.
        case step
        /// The held-out data was evaluated (`evaluation` holds the result).
        case evaluation
        /// A checkpoint was written.
        case checkpoint(URL)
        /// The run ended: all steps taken, or a callback stopped it.
        case finished
    }

    /// What just happened.
    public var event: Event
    /// Iterations done (the step index of the next one).
    public var step: Int
    /// The iteration the run goes to.
    public var totalSteps: Int
    /// step / (steps per epoch), when the loop knows the epoch length.
    public var epoch: Double?
    /// The loss of the last step.
    public var loss: Float?
    /// The latest held-out evaluation.
    public var evaluation: EvaluationResult?
    /// Steps this call of `run` has taken, and the time since it began (for rates and ETAs).
    public var stepsThisRun: Int
    public var elapsed: Duration

    /// Steps per second in this call of `run` (0 before the first step).
    public var stepsPerSecond: Double {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(stepsThisRun) / seconds : 0
    }
}

/// A callback's answer: go on, or end the run after this step.
public enum TrainingDecision: Sendable {
    case proceed
    case stop
}

/// Called after each step, evaluation and checkpoint, and once at the end.
public typealias TrainingCallback = (TrainingProgress) -> TrainingDecision

/// A training loop over an objective with any optimizer.
///
/// Each iteration t calls `optimizer.step(&parameters, objective:)` once (t equals the optimizer's
/// `stepCount` unless its non-finite policy skipped steps; the batches follow t); with `batches` the
/// objective is evaluated on W = `batches.weights(atStep: t)` (batch t mod K of epoch ⌊t/K⌋),
/// replacing the W the optimizer draws, so give such an optimizer no sampling scheme of its own.
/// Every `evaluationInterval` steps (and after the last) the held-out `evaluation` is recorded;
/// every `checkpointInterval` steps (and after the last, before that final evaluation, so that a
/// resumed run's curves equal the uninterrupted run's) a checkpoint is written to
/// `checkpointURL`, atomically.
///
/// A run continues bit for bit from a checkpoint: `resume(from:)` restores θ, the optimizer's
/// state, the iteration count and the curves, and every random draw (the optimizer's noise, the
/// epochs' permutations) is keyed by a seed and the step, never carried in a generator.
///
/// A NaN or infinite loss stops the run with `TrainingError.nonFiniteLoss` naming the step,
/// before that step is applied.
///
/// ```swift
/// var loop = TrainingLoop(optimizer: try SGD(layout: model.layout, learningRate: 0.1),
///                         parameters: model.initialParameters(seed: 1),
///                         objective: model.objective(on: training),
///                         batches: try EpochSampling(exampleCount: training.count, batchSize: 32, seed: 2),
///                         evaluation: .on(test, model: model), evaluationInterval: 100)
/// loop.callbacks.append(ConsoleReporter().callback)
/// try loop.run(epochs: 20)
/// ```
public struct TrainingLoop<O: Optimizer> {
    /// The optimizer; its state advances with each step.
    public var optimizer: O
    /// θ.
    public var parameters: Tensor
    /// Iterations done: the index of the next one.
    public private(set) var step = 0
    /// The training loss of every step and the evaluations so far.
    public private(set) var history = TrainingHistory()
    /// Epochs of shuffled batches that replace the optimizer's own W (nil: the optimizer draws W).
    public let batches: EpochSampling?
    /// The held-out evaluation, and how often it runs (0: only after the last step).
    public var evaluation: Evaluation?
    public var evaluationInterval: Int
    /// Where and how often checkpoints are written (0: only after the last step).
    public var checkpointURL: URL?
    public var checkpointInterval = 0
    /// A description of the run's settings, stored in checkpoints and checked on resume.
    public var settings = ""
    /// The length of an epoch in steps, for progress; defaults to `batches.batchesPerEpoch`.
    public var stepsPerEpoch: Int?
    /// Called after every step, evaluation and checkpoint, and at the end.
    public var callbacks: [TrainingCallback] = []

    private let guarded: Objective
    private let input = StepInput()

    /// A loop stepping `optimizer` on `objective` from `parameters`.
    public init(optimizer: O, parameters: Tensor, objective: @escaping Objective, batches: EpochSampling? = nil,
                evaluation: Evaluation? = nil, evaluationInterval: Int = 0) {
        check(evaluationInterval >= 0, "evaluationInterval must be ≥ 0, got \(evaluationInterval)")
        check(parameters.shape == [optimizer.layout.count],
              "parameters have shape \(parameters.shape), the optimizer's layout has \(optimizer.layout.count) scalars")
        self.optimizer = optimizer
        self.parameters = parameters
        self.batches = batches
        self.evaluation = evaluation
        self.evaluationInterval = evaluationInterval
        self.stepsPerEpoch = batches?.batchesPerEpoch
        // One closure for the whole run: the step's W and index travel in `input`, so a step
        // allocates no closure context.
        let input = self.input
        self.guarded = { point, weights in
            let result = try objective(point, input.weights ?? weights)
            guard result.loss.isFinite else { throw TrainingError.nonFiniteLoss(step: input.step, loss: result.loss) }
            return result
        }
    }

    /// Runs until `step == totalSteps` (nothing if already there) or a callback stops it.
    @discardableResult
    public mutating func run(steps totalSteps: Int) throws -> TrainingHistory {
        check(totalSteps >= 0, "a run needs a non-negative number of steps, got \(totalSteps)")
        let clock = ContinuousClock()
        let started = clock.now
        let first = step
        var lastEvaluated = history.evaluations.last?.step ?? -1
        var lastCheckpointed = -1
        func progress(_ event: TrainingProgress.Event) -> TrainingProgress {
            TrainingProgress(event: event, step: step, totalSteps: totalSteps,
                             epoch: stepsPerEpoch.map { Double(step) / Double($0) }, loss: history.losses.last,
                             evaluation: history.evaluations.last?.result, stepsThisRun: step - first,
                             elapsed: clock.now - started)
        }
        func notify(_ event: TrainingProgress.Event) -> Bool {
            guard !callbacks.isEmpty else { return true }
            let current = progress(event)
            var proceed = true
            for callback in callbacks where callback(current) == .stop { proceed = false }
            return proceed
        }

        var proceed = true
        while step < totalSteps && proceed {
            input.step = step
            input.weights = batches?.weights(atStep: step)
            let report = try optimizer.step(&parameters, objective: guarded)
            history.losses.append(report.loss ?? .nan)
            step += 1
            proceed = notify(.step)
            if evaluationInterval > 0 && step % evaluationInterval == 0, evaluation != nil {
                try evaluate()
                lastEvaluated = step
                proceed = notify(.evaluation) && proceed
            }
            if checkpointInterval > 0 && step % checkpointInterval == 0, let url = checkpointURL {
                try makeCheckpoint().write(to: url)
                lastCheckpointed = step
                proceed = notify(.checkpoint(url)) && proceed
            }
        }
        input.weights = nil
        // The checkpoint first: it holds the history the uninterrupted run has at this step, which
        // has no evaluation here unless the schedule put one here.
        if let url = checkpointURL, lastCheckpointed != step {
            try makeCheckpoint().write(to: url)
            _ = notify(.checkpoint(url))
        }
        if evaluation != nil && lastEvaluated != step {
            try evaluate()
            _ = notify(.evaluation)
        }
        _ = notify(.finished)
        return history
    }

    /// Runs `epochs` epochs in all (counting those already done), `epochs · stepsPerEpoch` steps.
    @discardableResult
    public mutating func run(epochs: Int) throws -> TrainingHistory {
        guard let stepsPerEpoch else { fail("run(epochs:) needs batches: EpochSampling or stepsPerEpoch") }
        return try run(steps: epochs * stepsPerEpoch)
    }

    /// Evaluates θ on the held-out data now and records it.
    public mutating func evaluate() throws {
        guard let evaluation else { return }
        history.evaluations.append(TrainingHistory.Point(step: step, result: try evaluation.evaluate(parameters)))
    }

    /// The run's state now.
    public func makeCheckpoint() -> TrainingCheckpoint<O.State> {
        TrainingCheckpoint(settings: settings, step: step, parameters: parameters, optimizerState: optimizer.state,
                           history: history)
    }

    /// Restores θ, the optimizer's state, the step and the curves from a checkpoint file written
    /// by a loop with the same `settings`; `run` then continues the interrupted run bit for bit.
    ///
    /// - Throws: `TrainingError.invalidCheckpoint` naming the file if it is unreadable, of another
    ///   optimizer or format, written under other settings, or for another parameter count.
    public mutating func resume(from url: URL) throws {
        let checkpoint = try TrainingCheckpoint<O.State>.read(from: url)
        guard checkpoint.settings == settings else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "it was written for other settings: \(checkpoint.settings) (this run: \(settings))")
        }
        guard checkpoint.parameters.shape == parameters.shape else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "it holds parameters of shape \(checkpoint.parameters.shape), the model has \(parameters.shape)")
        }
        guard checkpoint.step >= 0, checkpoint.history.losses.count == checkpoint.step else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "its step \(checkpoint.step) does not match its \(checkpoint.history.losses.count) recorded losses")
        }
        do {
            try optimizer.restore(checkpoint.optimizerState)
        } catch let error as OptimizerError {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "its optimizer state does not fit: \(error)")
        }
        parameters = checkpoint.parameters
        step = checkpoint.step
        history = checkpoint.history
    }
}

/// The current iteration's index and W, read by the loop's one objective closure.
private final class StepInput {
    var step = 0
    var weights: SampleWeights?
}
