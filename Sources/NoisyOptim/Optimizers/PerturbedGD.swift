// PerturbedGD: gradient descent with the gradient taken at a perturbed point (Orvieto et al. 2023),
// one layer at a time or all at once, and its anti-correlated twin Anti-PGD (Orvieto et al. 2022).

/// Perturbed gradient descent, the second noise site: the gradient is evaluated at θ + ξ and the
/// step applied to θ (Orvieto, Raj, Kersting and Bach 2023, "Explicit Regularization in
/// Overparametrized Models via Noise Injection", AISTATS):
///
///     ξₜ ~ N(0, σₜ²I) on the perturbed parameters, 0 elsewhere
///     θₜ₊₁ = θₜ − lrₜ·∇L(θₜ + ξₜ)
///
/// In expectation this descends the smoothed loss E[L(θ + ξ)] ≈ L(θ) + σ²/2·tr ∇²L(θ), the explicit
/// regularizer of the paper. `.allAtOnce` perturbs every parameter each step; `.layerWise`, the
/// paper's remedy for the variance explosion of wide networks, perturbs one segment per step,
/// segment t mod L in layout order (as the authors' code cycles over parameter groups), so every
/// weight and bias gets its turn.
///
/// With `antiCorrelated`, the iterate is Anti-PGD (Orvieto, Kersting, Proske, Bach and Lucchi 2022,
/// "Anticorrelated Noise Injection for Improved Generalization", ICML):
///
///     θₜ₊₁ = θₜ − lrₜ·∇L(θₜ) + (ξₜ₊₁ − ξₜ)
///
/// the gradient taken at the iterate itself. The two are one recursion seen from two points:
/// zₜ = θₜ − ξₜ follows zₜ₊₁ = zₜ − lr·∇L(zₜ + ξₜ), i.e. Anti-PGD's iterate is the perturbed point of
/// perturbed GD. ξₜ is regenerated from (seed, t), so Anti-PGD stores no extra buffer.
public struct PerturbedGD: Optimizer {
    /// Which parameters ξ perturbs.
    public enum Perturbation: String, Codable, Sendable, Hashable {
        /// Every parameter, every step.
        case allAtOnce
        /// One segment of the layout per step, segment t mod (number of segments).
        case layerWise
    }

    /// σₜ ≥ 0, the perturbation's standard deviation.
    public let sigma: Schedule
    /// All at once or layer-wise.
    public let perturbation: Perturbation
    /// Anti-PGD's iterate instead of perturbed GD's.
    public let antiCorrelated: Bool
    /// The descent that applies the steps (its `learningRate`, momentum, sampling).
    public private(set) var sgd: SGD
    /// θ + ξₜ, reused from step to step so a step allocates nothing.
    private var workspace: Tensor

    /// The descent's state and the key of the perturbation stream.
    public struct State: Codable, Sendable, Equatable {
        /// The descent's state (its step count is t).
        public var sgd: SGD.State
        /// ξₜ is drawn from `Philox4x32` keyed by (seed, t), block by block.
        public var seed: UInt64
    }

    private var seed: UInt64

    /// Perturbed GD for parameters laid out as `layout`.
    ///
    /// - Parameters:
    ///   - learningRate: lrₜ ≥ 0.
    ///   - sigma: σₜ ≥ 0; 0 makes it plain gradient descent, bit for bit.
    ///   - perturbation: `.allAtOnce` or `.layerWise`.
    ///   - antiCorrelated: take Anti-PGD's iterate.
    ///   - seed: the key of the perturbation stream.
    ///   - momentum: heavy-ball momentum of the descent (0 in both papers).
    ///   - sampling, samplingSeed: a scheme for W, to perturb stochastic gradients too.
    /// - Throws: `OptimizerError.invalidHyperparameter` naming the first bad value.
    public init(layout: ParameterLayout, learningRate: Schedule, sigma: Schedule, perturbation: Perturbation = .allAtOnce,
                antiCorrelated: Bool = false, seed: UInt64, momentum: Double = 0,
                sampling: (any SamplingScheme)? = nil, samplingSeed: UInt64 = 0,
                nonFiniteGradientPolicy: NonFiniteGradientPolicy = .throwError) throws {
        try Hyperparameter.schedule(sigma, "sigma", Hyperparameter.nonNegative)
        self.sigma = sigma
        self.perturbation = perturbation
        self.antiCorrelated = antiCorrelated
        self.seed = seed
        self.sgd = try SGD(layout: layout, learningRate: learningRate, momentum: momentum, sampling: sampling,
                           samplingSeed: samplingSeed, nonFiniteGradientPolicy: nonFiniteGradientPolicy)
        self.workspace = Tensor.zeros([layout.count])
    }

    public var layout: ParameterLayout { sgd.layout }

    public var state: State {
        get { State(sgd: sgd.state, seed: seed) }
        set {
            sgd.state = newValue.sgd
            seed = newValue.seed
        }
    }

    public var stepCount: Int { sgd.stepCount }

    /// The positions ξₜ perturbs: everything, or segment t mod L.
    public func perturbedRange(at t: Int) -> Range<Int> {
        switch perturbation {
        case .allAtOnce:
            return 0..<layout.count
        case .layerWise:
            let segments = layout.segments
            return segments.isEmpty ? 0..<0 : segments[t % segments.count].range
        }
    }

    /// buffer += sign·ξₜ (nothing when σₜ = 0). ξₜ's blocks are numbered from the start of its range.
    func addPerturbation(at t: Int, sign: Float, to buffer: UnsafeMutablePointer<Float>) {
        let value = sigma.value(at: t)
        guard value >= 0 && value <= Hyperparameter.largest else { return } // the step refuses it: invalidScheduleValue
        let s = Float(value)
        let range = perturbedRange(at: t)
        guard s != 0, !range.isEmpty else { return }
        RandomStream.addNormal(to: buffer + range.lowerBound, count: range.count, standardDeviation: sign * s,
                               stepKey: RandomStream.perturbation.key(seed: seed, step: t))
    }

    /// The point the next step's gradient must be taken at: θ + ξₜ, or θ itself for Anti-PGD.
    /// Use it with `step(_:gradient:)` when computing gradients yourself.
    public mutating func perturbedPoint(_ parameters: Tensor) -> Tensor {
        check(parameters.shape == [layout.count], "parameters have shape \(parameters.shape), the layout has \(layout.count) scalars")
        if antiCorrelated { return parameters }
        var point = Tensor.zeros([0])
        swap(&point, &workspace) // unique, so writing does not copy (unless the caller kept the last point)
        point.withUnsafeMutableBufferPointer { point in
            parameters.withUnsafeBufferPointer { point.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            addPerturbation(at: stepCount, sign: 1, to: point.baseAddress!)
        }
        workspace = point
        return point
    }

    /// Applies θ ← θ − lr·g with g taken at `perturbedPoint(θ)`; for Anti-PGD then adds ξₜ₊₁ − ξₜ.
    @discardableResult
    public mutating func step(_ parameters: inout Tensor, gradient: Tensor) throws -> StepReport {
        let t = stepCount
        for s in t...(antiCorrelated ? t + 1 : t) { _ = try sigma.value(at: s, checkedAs: "sigma") } // before θ is written
        let report = try sgd.step(&parameters, gradient: gradient)
        if antiCorrelated && report.applied {
            parameters.withUnsafeMutableBufferPointer { theta in
                addPerturbation(at: t + 1, sign: 1, to: theta.baseAddress!)
                addPerturbation(at: t, sign: -1, to: theta.baseAddress!)
            }
        }
        return report
    }

    /// Draws W, evaluates `objective` at θ + ξₜ (θ for Anti-PGD) and applies the step to θ.
    @discardableResult
    public mutating func step(_ parameters: inout Tensor, objective: Objective) throws -> StepReport {
        let weights = sgd.sampleWeights()
        let (loss, gradient) = try objective(perturbedPoint(parameters), weights)
        var report = try step(&parameters, gradient: gradient)
        report.loss = loss
        return report
    }
}
