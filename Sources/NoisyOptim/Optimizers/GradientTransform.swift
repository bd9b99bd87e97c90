// GradientTransform: one composable piece of an optimizer step (clip, add noise, weight decay,
// momentum, Adam scaling, the learning rate, parameter noise), and what it may read of the step.
//
// Why blocks: a transform does not see the whole gradient at once but one cache-sized block of it
// at a time, and a chain runs every transform on block k before moving to block k + 1. The update
// of the block lives in a small scratch buffer that stays in L1, so a chain of any length costs one
// memory pass over the parameters, the gradient and each state buffer — the composition of optax
// with the memory traffic of a fused kernel.

/// What every transform may read about the step being taken.
public struct StepContext: Sendable {
    /// The step index t, counted from 0 (annealing schedules and bias corrections use it).
    public let step: Int
    /// The segments of the flat parameter vector.
    public let layout: ParameterLayout
    /// lrₜ, the learning rate of this step. `ScaleByLearningRate` multiplies the direction by −lrₜ;
    /// transforms after it act in parameter units and may scale their own terms by it (Langevin
    /// noise N(0, 2·lrₜ·T)).
    public let learningRate: Double
    /// ‖g‖₂ of the gradient as it entered the step, when a transform asked for it
    /// (`needsGradientNorm` or `needsGradient`); nil otherwise.
    public let gradientNorm: Float?
    /// The gradient as it entered the step, before clipping and noise, when a transform asked for
    /// it (`needsGradient`); nil otherwise. Readable while `plan` runs, never kept.
    public let gradient: StepGradient?

    /// A context for step `step` (for running a transform by hand, as in a test).
    public init(step: Int, layout: ParameterLayout, learningRate: Double, gradientNorm: Float? = nil,
                gradient: StepGradient? = nil) {
        self.step = step
        self.layout = layout
        self.learningRate = learningRate
        self.gradientNorm = gradientNorm
        self.gradient = gradient
    }
}

/// A piece of an optimizer step that rewrites the update, optax style.
///
/// A transform is its configuration (a value) plus a `State` that the optimizer stores and
/// checkpoints. Each step the optimizer calls `plan` once, with the state, to fix per-step scalars
/// (a schedule's value, a clip factor, whether this is the first step) and open its per-parameter
/// buffers (`Tensor.openForStep(count:owner:)`); then `apply` once per block, possibly from several
/// threads at once on disjoint blocks — so `apply` must only read the plan and write the block's
/// own positions.
///
/// Transforms before `ScaleByLearningRate` see a direction in gradient units; transforms after it
/// see the update Δθ itself, in parameter units. A transform written outside the module needs only
/// the public pieces used here: `UpdateBlock`, `StepBuffer`, `NoiseStream` and `BlockMath`.
///
/// ```swift
/// struct AddSquaredGradients: GradientTransform {          // an Adagrad-like accumulator
///     static let stateKey = "squares"
///     struct State: Codable, Sendable, Equatable { var squares: Tensor }
///     func makeState(for layout: ParameterLayout) -> State { State(squares: .zeros([layout.count])) }
///     func plan(_ state: inout State, context: StepContext) -> StepBuffer {
///         state.squares.openForStep(count: context.layout.count, owner: "squares")
///     }
///     func apply(_ squares: StepBuffer, to block: UpdateBlock) {
///         let s = squares.slice(for: block), d = block.directionBuffer
///         BlockMath.addSquares(of: UnsafeBufferPointer(d), to: s)
///         BlockMath.divide(d, bySquareRootOf: UnsafeBufferPointer(s), plus: 1e-10)
///     }
/// }
/// ```
public protocol GradientTransform: Sendable {
    /// Everything the transform remembers between steps. A copy is a checkpoint.
    associatedtype State: Codable, Sendable, Equatable
    /// What `plan` fixes for one step: scalars and the opened state buffers.
    associatedtype Plan

    /// The name of this transform's part in an encoded optimizer state. Parts are stored by name,
    /// not by position in the chain, so adding a stage leaves the other parts' keys alone; two
    /// parts of one chain must not share a name. Default: the type's name.
    static var stateKey: String { get }

    /// The state before the first step, for parameters laid out as `layout`.
    func makeState(for layout: ParameterLayout) -> State

    /// Throws `OptimizerError.stateMismatch` if `state` (a restored checkpoint) does not fit this
    /// transform for parameters laid out as `layout`: wrong buffer sizes, flags that contradict
    /// each other. Default: accepts every state.
    func validate(_ state: State, for layout: ParameterLayout) throws

    /// Fixes the step's scalars and opens state buffers. Called once per applied step, before
    /// any `apply`; a skipped step never calls it.
    func plan(_ state: inout State, context: StepContext) -> Plan

    /// Rewrites `block.direction` in place.
    func apply(_ plan: Plan, to block: UpdateBlock)

    /// `apply`, except that a constant factor c it would multiply the whole block by last is
    /// returned instead of applied (1 if none), so the optimizer's final θ ← θ + c·d does it in
    /// the same pass: the learning rate costs no pass of its own. Default: `apply`, then 1.
    func applyDeferringScale(_ plan: Plan, to block: UpdateBlock) -> Float

    /// Throws `OptimizerError.invalidScheduleValue` if a schedule this transform reads is out of
    /// its domain at step `t`. Called before `plan`, so a refused step writes nothing.
    /// Default: nothing to check (see Schedule+Validation.swift).
    func checkSchedules(at t: Int) throws

    /// True if `plan` reads `context.gradientNorm`. Such a transform sees the norm of the gradient
    /// as it entered the step, so it must come first in a chain (`Chain` checks).
    var needsGradientNorm: Bool { get }

    /// True if `plan` reads `context.gradient` (and with it `context.gradientNorm`): the whole
    /// gradient as it entered the step, wherever the transform sits in the chain — a
    /// hypergradient's g·uₜ₋₁, a saddle test on ‖g‖. Default: false.
    var needsGradient: Bool { get }

    /// True if, under `plan`, `apply` leaves every value exactly as it found it (no clipping
    /// this step, σₜ = 0, λ = 0, μ = 0). A chain skips such a part, so its neighbour can fuse.
    /// Default: false.
    func isIdentity(_ plan: Plan) -> Bool

    /// c if, under `plan`, `apply` only multiplies every value by the constant c (the learning
    /// rate's −lrₜ), so a fused kernel before it can fold c into its step size; else nil (the default).
    func scaleFactor(_ plan: Plan) -> Float?

    /// The whole update of one block in a single pass, θ ← θ + α·transform(±g), read straight
    /// from the gradient with no scratch: what PyTorch calls a fused step. Returns true if it did
    /// so, false (touching nothing) if the transform has no fused kernel for `plan`; the optimizer
    /// then takes the general path. Both paths must give the same bits.
    /// Default: `block.descend()` when `isIdentity(plan)`, otherwise false.
    func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool

    /// True if `applyFused(plan, to:)` would return true for a block of step size `alpha` (its
    /// only input that can change the answer), without running it. A chain asks before it spends
    /// a prelude (`applyAsPrelude`) on the transform. Default: `isIdentity(plan)`, as the default
    /// `applyFused`; override it together with `applyFused`.
    func canFuse(_ plan: Plan, alpha: Float) -> Bool

    /// λ when this link, on this plan, adds λθ to the direction on every parameter (d ← d + λθ;
    /// after Adam's scaling that is AdamW's decoupled decay) and nothing else, so the link before it
    /// may fold it into its fused kernel (`applyFused(_:to:decaying:)`); nil otherwise.
    /// Default: nil.
    func decoupledDecay(_ plan: Plan) -> Float?

    /// True if `applyFused(plan, to:decaying: lambda)` would return true for a block of step size
    /// `alpha`. Default: false; override it together with `applyFused(_:to:decaying:)`.
    func canFuse(_ plan: Plan, alpha: Float, decaying lambda: Float) -> Bool

    /// The fused step of this transform followed by d ← d + λθ, in one pass:
    /// θ ← θ + α·(transform(±g) + λθ), with the bits of the general path (this transform's `apply`,
    /// then the decay link's, then θ + α·d). Returns false, touching nothing, if there is no such
    /// kernel. Default: false, so a transform that never heard of it keeps the general path.
    func applyFused(_ plan: Plan, to block: FusedBlock, decaying lambda: Float) -> Bool

    /// Writes this transform's direction for the block, computed from ±g (`block.gradient` times
    /// `block.sign`), into `block.scratch` and returns true, when it can do so without touching θ
    /// or its state (an elementwise rewrite of the direction, such as added noise); the rest of the
    /// chain then runs its fused kernel on that direction, so a noisy step is one pass over θ and
    /// the optimizer's buffers instead of one per link. False (writing nothing) otherwise, or when
    /// `block.scratch` is nil. It must give the bits `apply` gives on the direction ±g.
    /// Default: false.
    func applyAsPrelude(_ plan: Plan, to block: FusedBlock) -> Bool

    /// `applyAsPrelude(_:to:)` with no scratch: each few lanes of the direction go straight to
    /// `update` (the rest of the chain's fused step, per position) as soon as they are made, so the
    /// step is one pass in which the update's memory traffic overlaps the prelude's arithmetic.
    /// Returns false, calling nothing, if this transform cannot (the chain then tries the scratch
    /// form). It must hand over the direction `applyAsPrelude(_:to:)` would write. Default: false.
    func applyAsPrelude<Update: LaneUpdate>(_ plan: Plan, to block: FusedBlock, updating update: Update) -> Bool

    /// This transform's fused step (`applyFused(_:to:)`, with its bits) on directions that `source`
    /// produces instead of `block.gradient`: builds the per-position update (a `LaneUpdate`) for
    /// `plan` and returns `source.run(update)`. Returns false, calling nothing, if there is no such
    /// form for `plan`. `block.gradient` is not read. Default: a plain descent when
    /// `isIdentity(plan)`, as the default `applyFused(_:to:)`, otherwise false.
    func applyFused<Source: DirectionSource>(_ plan: Plan, to block: FusedBlock, from source: Source) -> Bool

    /// Writes `state` as this transform's named part(s) of an optimizer state. `Chain` writes one
    /// part per link; the default writes `state` under `stateKey`.
    static func encodeParts(_ state: State, into container: inout KeyedEncodingContainer<StatePartKey>) throws

    /// Reads the part(s) `encodeParts` wrote; a missing part is `DecodingError.keyNotFound`.
    static func decodeParts(from container: KeyedDecodingContainer<StatePartKey>) throws -> State

    /// The names of the parts `encodeParts` writes, in chain order.
    static var partKeys: [String] { get }
}

extension GradientTransform {
    public static var stateKey: String { String(describing: Self.self) }

    public func validate(_ state: State, for layout: ParameterLayout) throws {}

    public var needsGradientNorm: Bool { false }

    public var needsGradient: Bool { false }

    public func isIdentity(_ plan: Plan) -> Bool { false }

    public func scaleFactor(_ plan: Plan) -> Float? { nil }

    @inline(__always)
    public func applyDeferringScale(_ plan: Plan, to block: UpdateBlock) -> Float {
        if let factor = scaleFactor(plan) { return factor }
        apply(plan, to: block)
        return 1
    }

    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        guard isIdentity(plan) else { return false }
        block.descend()
        return true
    }

    public func canFuse(_ plan: Plan, alpha: Float) -> Bool { isIdentity(plan) }

    public func applyAsPrelude(_ plan: Plan, to block: FusedBlock) -> Bool { false }

    public func applyAsPrelude<Update: LaneUpdate>(_ plan: Plan, to block: FusedBlock, updating update: Update) -> Bool {
        false
    }

    public func applyFused<Source: DirectionSource>(_ plan: Plan, to block: FusedBlock, from source: Source) -> Bool {
        guard isIdentity(plan) else { return false }
        return source.run(DescentLanes(block))
    }

    public func decoupledDecay(_ plan: Plan) -> Float? { nil }

    public func canFuse(_ plan: Plan, alpha: Float, decaying lambda: Float) -> Bool { false }

    public func applyFused(_ plan: Plan, to block: FusedBlock, decaying lambda: Float) -> Bool { false }

    public static func encodeParts(_ state: State, into container: inout KeyedEncodingContainer<StatePartKey>) throws {
        try container.encode(state, forKey: StatePartKey(stateKey))
    }

    public static func decodeParts(from container: KeyedDecodingContainer<StatePartKey>) throws -> State {
        try container.decode(State.self, forKey: StatePartKey(stateKey))
    }

    public static var partKeys: [String] { [stateKey] }
}

/// The state of a transform that remembers nothing. A stateless part writes nothing into a
/// checkpoint and takes no name there, so it can appear in a chain any number of times.
public struct NoState: Codable, Sendable, Equatable {
    /// The empty state.
    public init() {}
}

extension GradientTransform where State == NoState {
    public func makeState(for layout: ParameterLayout) -> NoState { NoState() }
    public static func encodeParts(_ state: NoState, into container: inout KeyedEncodingContainer<StatePartKey>) throws {}
    public static func decodeParts(from container: KeyedDecodingContainer<StatePartKey>) throws -> NoState { NoState() }
    public static var partKeys: [String] { [] }
}

/// The key of one transform's part in an encoded optimizer state (its `stateKey`).
public struct StatePartKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    /// The part called `name`.
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
