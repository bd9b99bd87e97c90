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
    /// Where the closure step's sampling vector W comes from. nil means a deterministic objective
    /// (a quadratic, a full-batch loss the objective sums itself): it is called with
    /// `SampleWeights.full(exampleCount: 1)`, W = 1 on a single "example". For data, pass
    /// `FullBatch(exampleCount: n)` or a mini-batch / multiplicative scheme.
    public var sampling: (any SamplingScheme)?

    /// The step count, the chain's state and the key of the sampling stream.
    public struct State: Codable, Sendable, Equatable {
        /// Steps applied so far (skipped steps do not count).
        public var step: Int
        /// The transforms' states.
        public var transform: Transform.State
        /// The key of the sampling stream: W of step t is drawn with a `Philox4x32` keyed by
        /// (samplingSeed, t), so it is the same whether or not the run was interrupted.
        public var samplingSeed: UInt64
    }

    public var state: State

    public var stepCount: Int { state.step }

    /// An optimizer for parameters laid out as `layout`. Throws if the learning rate is negative.
    public init(layout: ParameterLayout, transform: Transform, learningRate: Schedule,
                maximize: Bool = false, sampling: (any SamplingScheme)? = nil, samplingSeed: UInt64 = 0,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        try Hyperparameter.schedule(learningRate, "learningRate", Hyperparameter.nonNegative)
        self.layout = layout
        self.transform = transform
        self.learningRate = learningRate
        self.maximize = maximize
        self.nonFiniteGradientPolicy = nonFiniteGradientPolicy
        self.sampling = sampling
        self.state = State(step: 0, transform: transform.makeState(for: layout), samplingSeed: samplingSeed)
    }

    @discardableResult
    public mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport {
        let n = layout.count
        check(parameters.shape == [n], "parameters have shape \(parameters.shape), the layout has \(n) scalars")
        check(gradient.shape == [n], "gradient has shape \(gradient.shape), parameters have shape [\(n)]")

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

        // Before anything is written: a closure schedule can turn negative at any step.
        let lr = try learningRate.value(at: state.step, checkedAs: "learningRate")
        try transform.checkSchedules(at: state.step)
        let context = StepContext(step: state.step, layout: layout, gradientNorm: norm)
        let plan = transform.plan(&state.transform, context: context)
        let alpha = -Float(lr)
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
    ///
    /// Pre-specialized for the named optimizers' chains: a client module calls the generic entry,
    /// which then dispatches to a copy with every transform inlined. Unspecialized, each block
    /// paid generic-metadata lookups for the chain's plan types (5–7% of an Adam step in perf).
    @_specialize(where Transform == SGDChain)
    @_specialize(where Transform == AdamChain)
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
                    let fused = FusedBlock(range: lower..<upper, gradient: g + lower, parameters: theta + lower,
                                           alpha: alpha, sign: negate ? -1 : 1)
                    if transform.applyFused(plan, to: fused) { continue }
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

    /// W for the next step: drawn from `sampling` with the step's own random stream, or the
    /// single-example full batch when there is no scheme. Drawing does not advance anything: the
    /// same step always gets the same W.
    public func sampleWeights() -> SampleWeights {
        guard let sampling else { return .full(exampleCount: 1) }
        var generator = Philox4x32(seed: RandomStream.sampling.key(seed: state.samplingSeed, step: state.step))
        return sampling.sample(using: &generator)
    }
}
