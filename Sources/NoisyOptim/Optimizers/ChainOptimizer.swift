// ChainOptimizer: runs a chain of gradient transforms over a flat parameter vector, block by
// block, and applies θ ← θ − lr·d. Every named optimizer is one of these with a fixed chain.

import Foundation

/// An optimizer made of a `GradientTransform` chain and a learning-rate schedule:
///
///     d ← ±g  →  transform(d)  →  θ ← θ − lrₜ·d
///
/// (−g when `maximize`). A step is one pass over memory: the gradient, θ and each per-parameter
/// buffer are read (and θ and the buffers written) once, block by block, with every transform of
/// the chain applied to a block while it sits in L1. Blocks are split over
/// `Parallelism.maximumThreadCount` threads; results never depend on the thread count.
///
/// A finiteness check reads the gradient once before anything is written, so that a non-finite
/// gradient can be refused with parameters and state untouched; when the chain clips by global
/// norm, the same pass computes the norm.
public struct ChainOptimizer<Transform: GradientTransform>: Optimizer {
    /// The segments of the parameter vector.
    public let layout: ParameterLayout
    /// The chain applied to the direction.
    public let transform: Transform
    /// lrₜ ≥ 0.
    public let learningRate: Schedule
    /// Ascend instead of descend (PyTorch's `maximize`): the chain sees −g.
    public let maximize: Bool
    /// What a non-finite gradient does.
    public let nonFiniteGradientPolicy: NonFiniteGradientPolicy

    /// The step count and the chain's state.
    public struct State: Codable, Sendable, Equatable {
        /// Steps applied so far (skipped steps do not count).
        public var step: Int
        /// The transforms' states.
        public var transform: Transform.State
    }

    public var state: State

    public var stepCount: Int { state.step }

    /// An optimizer for parameters laid out as `layout`. Throws if the learning rate is negative.
    public init(layout: ParameterLayout, transform: Transform, learningRate: Schedule,
                maximize: Bool = false,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        try Hyperparameter.schedule(learningRate, "learningRate", Hyperparameter.nonNegative)
        self.layout = layout
        self.transform = transform
        self.learningRate = learningRate
        self.maximize = maximize
        self.nonFiniteGradientPolicy = nonFiniteGradientPolicy
        self.state = State(step: 0, transform: transform.makeState(for: layout))
    }

    @discardableResult
    public mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport {
        let n = layout.count
        precondition(parameters.shape == [n], "parameters have shape \(parameters.shape), the layout has \(n) scalars")
        precondition(gradient.shape == [n], "gradient has shape \(gradient.shape), parameters have shape [\(n)]")

        var norm: Float? = nil
        if transform.needsGradientNorm || nonFiniteGradientPolicy != .propagate {
            let (squares, nonFinite) = gradient.withUnsafeBufferPointer {
                Kernels.squaredNormAndNonFiniteCount($0.baseAddress!, count: n)
            }
            if nonFinite > 0 && nonFiniteGradientPolicy != .propagate {
                if nonFiniteGradientPolicy == .throwError {
                    throw OptimizerError.nonFiniteGradient(step: state.step, count: nonFinite)
                }
                return StepReport(applied: false)
            }
            norm = Float(squares.squareRoot())
        }

        let context = StepContext(step: state.step, layout: layout, gradientNorm: norm)
        let plan = transform.plan(&state.transform, context: context)
        let alpha = -Float(learningRate.value(at: state.step))
        let transform = self.transform, negate = maximize
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { g in
                ChainOptimizer.run(transform, plan, parameters: theta.baseAddress!, gradient: g.baseAddress!,
                                   count: n, alpha: alpha, negate: negate)
            }
        }
        state.step += 1
        return StepReport(applied: true)
    }

    /// The block loop: each thread takes a contiguous run of blocks and a private L1 scratch.
    static func run(_ transform: Transform, _ plan: Transform.Plan, parameters theta: UnsafeMutablePointer<Float>,
                    gradient g: UnsafePointer<Float>, count n: Int, alpha: Float, negate: Bool) {
        let size = UpdateBlock.size
        let blocks = (n + size - 1) / size
        Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / size)) { chunk in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: size) { scratch in
                let d = scratch.baseAddress!
                for b in chunk {
                    let lower = b * size, upper = min(n, lower + size)
                    let count = upper - lower
                    Kernels.loadDirection(g + lower, into: d, count: count, negate: negate)
                    transform.apply(plan, to: UpdateBlock(index: b, range: lower..<upper, direction: d, parameters: theta + lower))
                    Kernels.addScaled(d, scale: alpha, to: theta + lower, count: count)
                }
            }
        }
    }

    @discardableResult
    public mutating func step(_ parameters: inout Tensor, objective: Objective) throws -> StepReport {
        let weights = sampleWeights()
        let (loss, gradient) = try objective(parameters, weights)
        var report = try step(&parameters, gradient: gradient)
        report.loss = loss
        return report
    }

    /// W for the next step: the full batch of a deterministic objective.
    public func sampleWeights() -> SampleWeights {
        .full(exampleCount: 1)
    }
}
