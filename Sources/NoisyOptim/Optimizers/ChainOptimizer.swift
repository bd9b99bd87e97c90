// ChainOptimizer: the one optimizer. It holds the three noise sites as options, runs a rule (any
// chain of gradient transforms) between them, and applies the learning rate as a link of the
// chain, block by block, in one pass over memory. Every named optimizer is a configuration of it.

/// The optimizer every named one is a configuration of: a rule (momentum, Adam, your own chain)
/// with the three noise sites around it, run in the order of DESIGN.md:
///
///     W ~ sampling                                   (1. sampling noise: which examples, what weights)
///     g = ∇L_W(θ + ξ)                                (2. perturbation: the gradient's point)
///     d ← clip(±g) + N(0, σₜ²I)                      (3. gradient noise, after clipping)
///     d ← rule(d)                                    (weight decay, momentum, adaptive scaling)
///     Δθ ← update(−lrₜ·d)                            (the learning rate; transforms in parameter units)
///     Δθ ← Δθ + N(0, sₜ²I) [+ ξₜ₊₁ − ξₜ]              (parameter noise: Langevin, Anti-PGD)
///     θ ← θ + Δθ
///
/// `Rule` acts in gradient units and `Update` (`Identity` unless given) on the update Δθ, in
/// parameter units, where Langevin-type noise and iterate averaging live.
///
/// (−g when `maximize`.) The sites are set by modifiers, each defined once for every rule:
///
/// ```swift
/// var optimizer = try Adam(layout: model.layout, learningRate: 1e-3)
///     .withSampling(SGDSampling(exampleCount: data.count, batchSize: 32), seed: 1)
///     .withPerturbation(Perturbation(sigma: 0.01, mode: .layerWise, seed: 2))
///     .withClipping(.globalNorm(10))
///     .withGradientNoise(GradientNoise(eta: 0.01, seed: 3))
/// ```
///
/// A step is one pass over memory: the gradient, θ and each per-parameter buffer are read (and θ
/// and the buffers written) once, block by block, with every link of the chain applied to a block
/// while it sits in L1; when only one link acts (plain momentum, Adam, with the learning rate
/// folded in), its fused kernel runs alone. Blocks are split over `Parallelism.maximumThreadCount`
/// threads; results never depend on the thread count.
///
/// A non-finite gradient (a NaN or ±∞ anywhere) is refused before anything is written, so
/// parameters and state stay untouched (`withNonFiniteGradientPolicy`). Where the check happens
/// depends on where the gradient came from. A gradient from the tape (`valueWithGradient`,
/// `objective(in:)`, `MLP.objective`, a per-example evaluation, DP-SGD's noisy sum) was checked
/// segment by segment as it was produced, while each segment was still in cache, and carries that
/// fact with it; the step then reads it only once, in the update itself. Any other tensor (yours,
/// or the tape's after you wrote to it: a write forgets the fact) is read once more before the
/// update, as four streams at once, which costs about a fifth of a memory-bound momentum step.
/// When the chain clips by global norm, or a link reads the whole gradient while planning, that
/// pass runs anyway and checks finiteness on the way.
public struct ChainOptimizer<Rule: GradientTransform, Update: GradientTransform>: Optimizer {
    /// The whole chain: clipping → gradient noise → the rule → the learning rate → the update
    /// transform → parameter noise.
    public typealias Transform = Chain<Chain<Chain<Chain<Chain<ClipGradient, AddGradientNoise>, Rule>, ScaleByLearningRate>, Update>,
                                       AddParameterNoise>

    /// The segments of the parameter vector.
    public let layout: ParameterLayout
    /// The chain the direction runs through, rule and noise links included.
    public internal(set) var transform: Transform
    /// lrₜ ≥ 0, carried to every link by `StepContext.learningRate`.
    public internal(set) var learningRate: Schedule
    /// Ascend instead of descend (PyTorch's `maximize`): the chain sees −g.
    public internal(set) var maximize = false
    /// What a non-finite gradient does (checked as the type's documentation says: by the tape as it
    /// produced the gradient, or by the step in a pass of its own).
    public internal(set) var nonFiniteGradientPolicy = NonFiniteGradientPolicy.throwError
    /// Where the closure step's sampling vector W comes from. nil means a deterministic objective
    /// (a quadratic, a full-batch loss the objective sums itself): it is called with
    /// `SampleWeights.full(exampleCount: 1)`, W = 1 on a single "example". For data, use
    /// `FullBatch(exampleCount: n)` or a mini-batch / multiplicative scheme.
    public internal(set) var sampling: (any SamplingScheme)?
    /// The perturbation ξ of the gradient's point (or, anti-correlated, of the iterate), or nil.
    public internal(set) var perturbation: Perturbation?
    /// DP-SGD's per-example clipping, Poisson sampling and noise (see `withPrivacy(_:)`), or nil.
    public internal(set) var privacy: DifferentialPrivacy?
    /// The state; a copy is a checkpoint. Restore one with `restore(_:)`.
    public internal(set) var state: State
    /// θ + ξₜ, reused from step to step so a perturbed step allocates nothing.
    private var workspace = Tensor.zeros([0])
    /// `UpdateBlock.interleavedPreludeMinimum`, lowered by tests to reach the lane-by-lane path on
    /// small vectors.
    var interleavedPreludeMinimum = UpdateBlock.interleavedPreludeMinimum
    /// DP-SGD's noisy clipped mean g̃, reused from step to step (the tape keeps its own buffer).
    var privateGradient = Tensor.zeros([0])

    /// The rule between the gradient noise and the learning rate (gradient units).
    public var rule: Rule { transform.first.first.first.second }
    /// The transform after the learning rate (parameter units).
    public var update: Update { transform.first.second }
    /// The gradient clipping, or nil.
    public var clipping: GradientClipping? { transform.first.first.first.first.first.clipping }
    /// The gradient noise, or nil.
    public var gradientNoise: GradientNoise? { transform.first.first.first.first.second.noise }
    /// The noise on the update after the learning rate, or nil.
    public var parameterNoise: ParameterNoise? { transform.second.noise }

    /// `rule` (gradient units) and `update` (parameter units, after the learning rate) for
    /// parameters laid out as `layout`, with no noise site set. Throws if the learning rate can
    /// be negative.
    public init(layout: ParameterLayout, rule: Rule, update: Update, learningRate: any ScheduleConvertible = 1e-3) throws {
        let learningRate = learningRate.schedule
        try Hyperparameter.schedule(learningRate, "learningRate", Hyperparameter.nonNegative)
        self.layout = layout
        self.learningRate = learningRate
        self.transform = Chain(Chain(Chain(Chain(Chain(try ClipGradient(nil), try AddGradientNoise(nil)), rule),
                                           ScaleByLearningRate()), update), try AddParameterNoise(nil))
        self.state = State(step: 0, transform: transform.makeState(for: layout), samplingSeed: 0, perturbationSeed: 0)
    }

    public var stepCount: Int { state.step }

    // MARK: - Steps

    // Pre-specialized for the named optimizers' rules: a client module calls the generic entry,
    // which then dispatches to a copy with every transform inlined, the block loop (`run`)
    // included. Unspecialized, each block paid generic-metadata lookups for the chain's plan types
    // (5–7% of an Adam step in perf), and so did planning each step (~20% of the diagonal net's
    // 5 µs step, when only the block loop was specialized).
    /// One step along `gradient`, the gradient at `perturbedPoint(parameters)`.
    ///
    /// Unless the policy is `.propagate`, a gradient with a NaN or ±∞ is refused first (thrown, or
    /// skipped) with parameters and state untouched. A gradient the tape produced and checked
    /// (`Tensor`'s internal known-finite flag, cleared by any write to it) is not read for this: the
    /// tape counted its non-finite values segment by segment, right after the pullback that
    /// finished each one, so the step moves only the update's own bytes. Any other gradient is read
    /// once more before anything is written. Global-norm clipping, and links that read the whole
    /// gradient while planning, need that pass anyway and check finiteness in it.
    @discardableResult
    @_specialize(where Rule == SGDRule, Update == Identity)
    @_specialize(where Rule == AdamRule, Update == Identity)
    @_specialize(where Rule == AdamWRule, Update == Identity)
    @_specialize(where Rule == AMSGradRule, Update == Identity)
    @_specialize(where Rule == AdagradRule, Update == Identity)
    @_specialize(where Rule == RMSpropRule, Update == Identity)
    @_specialize(where Rule == AdadeltaRule, Update == Identity)
    @_specialize(where Rule == AdamaxRule, Update == Identity)
    @_specialize(where Rule == SGDHDRule, Update == Identity)
    @_specialize(where Rule == AdamHDRule, Update == Identity)
    @_specialize(where Rule == SGDRule, Update == PerturbAtSaddles)
    @_specialize(where Rule == SGDRule, Update == AverageIterates)
    @_specialize(where Rule == PreconditionedSGLDRule, Update == Identity)
    @_specialize(where Rule == AddWeightDecay, Update == SGHMCVelocity)
    public mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport {
        let n = layout.count
        check(parameters.shape == [n], "parameters have shape \(parameters.shape), the layout has \(n) scalars")
        check(gradient.shape == [n], "gradient has shape \(gradient.shape), parameters have shape [\(n)]")

        var norm: Float? = nil
        let wantsGradient = transform.needsGradient
        // A known-finite gradient was checked where it was produced (see above): the read that
        // follows is needed only for the norm or a planning link, never for the check alone.
        let needsCheck = nonFiniteGradientPolicy != .propagate && !gradient.isKnownFinite
        if transform.needsGradientNorm || wantsGradient {
            let (squares, nonFinite) = gradient.withUnsafeBufferPointer {
                Kernels.squaredNormAndNonFiniteCount($0.baseAddress!, count: n)
            }
            if nonFinite > 0 && nonFiniteGradientPolicy != .propagate { return try refuse(nonFinite: nonFinite) }
            norm = Float(squares.squareRoot())
        } else if needsCheck {
            // The check alone: a read-only pass, over several streams at once (Kernels.allFinite).
            let nonFinite = gradient.withUnsafeBufferPointer { g in
                Kernels.allFinite(g.baseAddress!, count: n) ? 0 : Kernels.nonFiniteCount(g.baseAddress!, count: n)
            }
            if nonFinite > 0 { return try refuse(nonFinite: nonFinite) }
        }

        // Before anything is written: a closure schedule can turn negative at any step.
        let lr = try learningRate.value(at: state.step, checkedAs: "learningRate")
        try transform.checkSchedules(at: state.step)
        try perturbation?.checkSchedule(at: state.step)
        let transform = self.transform, negate = maximize
        let plan = gradient.withUnsafeBufferPointer { g in
            let context = StepContext(step: state.step, layout: layout, learningRate: lr, gradientNorm: norm,
                                      gradient: wantsGradient ? StepGradient(values: g, sign: negate ? -1 : 1) : nil)
            return transform.plan(&state.transform, context: context)
        }
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { g in
                ChainOptimizer.run(transform, plan, parameters: theta.baseAddress!, gradient: g.baseAddress!,
                                   count: n, negate: negate, interleavingPrelude: n >= interleavedPreludeMinimum)
            }
        }
        state.step += 1
        return StepReport(applied: true)
    }

    /// A step not taken for a gradient with `nonFinite` NaN or ±∞ values, as the policy says.
    private func refuse(nonFinite: Int) throws -> StepReport {
        if nonFiniteGradientPolicy == .throwError {
            throw OptimizerError.nonFiniteGradient(step: state.step, count: nonFinite)
        }
        return StepReport(applied: false)
    }

    /// The block loop: each thread takes a contiguous run of blocks and a private L1 scratch.
    static func run(_ transform: Transform, _ plan: Transform.Plan, parameters theta: UnsafeMutablePointer<Float>,
                    gradient g: UnsafePointer<Float>, count n: Int, negate: Bool, interleavingPrelude: Bool) {
        let size = UpdateBlock.size
        let blocks = (n + size - 1) / size
        Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / size)) { chunk in
            // No larger than the vector: up to 256 floats the scratch is on the stack, not the heap.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: min(size, n)) { scratch in
                let d = scratch.baseAddress!
                for b in chunk {
                    let lower = b * size, upper = min(n, lower + size)
                    let count = upper - lower
                    let fused = FusedBlock(range: lower..<upper, gradient: g + lower, parameters: theta + lower,
                                           alpha: 1, sign: negate ? -1 : 1, scratch: d, interleavesPrelude: interleavingPrelude)
                    if transform.applyFused(plan, to: fused) { continue }
                    Kernels.loadDirection(g + lower, into: d, count: count, negate: negate)
                    let block = UpdateBlock(index: b, range: lower..<upper, direction: d, parameters: theta + lower)
                    // The learning rate's −lrₜ, when nothing after it acts, joins the final pass.
                    let scale = transform.applyDeferringScale(plan, to: block)
                    Kernels.addScaled(d, scale: scale, to: theta + lower, count: count)
                }
            }
        }
    }

    @discardableResult
    public mutating func step(_ parameters: inout Tensor, objective: Objective) throws -> StepReport {
        check(privacy == nil, "a private optimizer (withPrivacy) steps with step(_:perExampleObjective:), which clips per example")
        let weights = sampleWeights()
        let (loss, gradient): (Float, Tensor)
        if let perturbation, !perturbation.antiCorrelated, perturbation.support(at: state.step, layout: layout).sigma != 0 {
            var point = Tensor.zeros([0])
            swap(&point, &workspace) // unique, so writing does not copy (unless the objective kept the last point)
            writePerturbedPoint(parameters, into: &point)
            (loss, gradient) = try objective(point, weights)
            workspace = point
        } else {
            (loss, gradient) = try objective(parameters, weights)
        }
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
        return sampling.sample(step: state.step, using: &generator)
    }

    /// The point the next step's gradient must be taken at: θ + ξₜ under a perturbation, θ itself
    /// otherwise (and for Anti-PGD, whose gradient is taken at the iterate). Use it with
    /// `step(_:gradient:)` when computing gradients yourself; it changes nothing.
    public func perturbedPoint(_ parameters: Tensor) -> Tensor {
        check(parameters.shape == [layout.count], "parameters have shape \(parameters.shape), the layout has \(layout.count) scalars")
        guard let perturbation, !perturbation.antiCorrelated,
              perturbation.support(at: state.step, layout: layout).sigma != 0 else { return parameters }
        var point = Tensor.zeros([layout.count])
        writePerturbedPoint(parameters, into: &point)
        return point
    }

    private func writePerturbedPoint(_ parameters: Tensor, into point: inout Tensor) {
        if point.shape != [layout.count] { point = Tensor.zeros([layout.count]) }
        var perturbation = self.perturbation!
        perturbation.seed = state.perturbationSeed
        let (t, layout) = (state.step, layout)
        point.withUnsafeMutableBufferPointer { out in
            parameters.withUnsafeBufferPointer { theta in
                perturbation.perturb(theta.baseAddress!, into: out.baseAddress!, count: theta.count, step: t, layout: layout)
            }
        }
    }

    // MARK: - Checkpoints

    /// Continues from `state`, a checkpoint of an optimizer built with the same configuration.
    /// Throws `OptimizerError.stateMismatch` naming both sides if the state does not fit this
    /// optimizer (buffer sizes, a negative step), leaving the optimizer unchanged.
    public mutating func restore(_ state: State) throws {
        guard state.step >= 0 else {
            throw OptimizerError.stateMismatch(part: "step", expected: "a step count ≥ 0", found: "\(state.step)")
        }
        try transform.validate(state.transform, for: layout)
        self.state = state
    }
}

extension ChainOptimizer where Update == Identity {
    /// `rule` for parameters laid out as `layout`, with nothing after the learning rate but the
    /// parameter-noise site and no noise site set. Throws if the learning rate can be negative.
    public init(layout: ParameterLayout, rule: Rule, learningRate: any ScheduleConvertible = 1e-3) throws {
        try self.init(layout: layout, rule: rule, update: Identity(), learningRate: learningRate)
    }
}
