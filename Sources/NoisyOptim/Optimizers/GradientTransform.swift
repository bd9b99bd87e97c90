// GradientTransform: one composable piece of an optimizer step (clip, add noise, weight decay,
// momentum, Adam scaling), and `Chain`, which runs pieces one after another.
//
// Why blocks: a transform does not see the whole gradient at once but one cache-sized block of it
// at a time, and a chain runs every transform on block k before moving to block k + 1. The update
// direction of the block lives in a small scratch buffer that stays in L1, so a chain of any length
// costs one memory pass over the parameters, the gradient and each state buffer — the composition
// of optax with the memory traffic of a fused kernel.

/// What every transform may read about the step being taken.
public struct StepContext: Sendable {
    /// The step index t, counted from 0 (annealing schedules and bias corrections use it).
    public let step: Int
    /// The segments of the flat parameter vector.
    public let layout: ParameterLayout
    /// ‖g‖₂ of the gradient as it entered the step, when a transform asked for it
    /// (`needsGradientNorm`); nil otherwise.
    public let gradientNorm: Float?
}

/// One block of the flat vector, as a transform sees it while a step runs.
///
/// `direction` is the block of the update direction (the gradient on entry to the chain, the
/// step direction on exit); a transform rewrites it in place. `parameters` are the same positions of
/// θ before the step. Both point at the block's first scalar.
public struct UpdateBlock {
    /// The block number: block b covers positions b·`UpdateBlock.size` ..< (b+1)·`size` (clipped
    /// to the vector). Random streams are keyed by position, not by this number.
    public let index: Int
    /// The positions of the block in the flat vector.
    public let range: Range<Int>
    /// The update direction for `range`, `range.count` scalars, mutable in place.
    public let direction: UnsafeMutablePointer<Float>
    /// θ for `range`, read-only.
    public let parameters: UnsafePointer<Float>

    /// The number of scalars in the block.
    public var count: Int { range.count }

    /// Scalars per block: 1024 Floats (4 KiB per buffer), so the direction block, the gradient, θ and
    /// the state buffers for the same positions sit in L1 together. Small blocks also interleave a
    /// noisy step's compute (generating normals) with its memory traffic finely enough for the
    /// hardware prefetchers to stream during the compute: measured 10–25% faster than 2048 for a
    /// noisy momentum step on 10M parameters. Divides `RandomStream.blockSize`, so noise never
    /// depends on it.
    public static let size = 1024

    /// Calls `body(offset, count)` for each stretch of this block that lies inside one of `ranges`
    /// (sorted, disjoint), with `offset` relative to the block's start.
    @inline(__always)
    public func forEachSubrange(in ranges: [Range<Int>], _ body: (_ offset: Int, _ count: Int) -> Void) {
        // Binary search for the first range that ends after the block starts.
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound <= range.lowerBound { low = mid + 1 } else { high = mid }
        }
        var k = low
        while k < ranges.count && ranges[k].lowerBound < range.upperBound {
            let lower = max(ranges[k].lowerBound, range.lowerBound)
            let upper = min(ranges[k].upperBound, range.upperBound)
            if lower < upper { body(lower - range.lowerBound, upper - lower) }
            k += 1
        }
    }
}

/// One block as a fused kernel sees it: the gradient as it entered the step and θ, which the
/// kernel updates in place (θ ← θ + α·d). See `GradientTransform.applyFused(_:to:)`.
public struct FusedBlock {
    /// The positions of the block in the flat vector.
    public let range: Range<Int>
    /// g for `range`, as it entered the step.
    public let gradient: UnsafePointer<Float>
    /// θ for `range`, updated in place.
    public let parameters: UnsafeMutablePointer<Float>
    /// α = −lrₜ: the step adds α·d to θ.
    public let alpha: Float
    /// The direction starts as `sign`·g: +1, or −1 when maximizing.
    public let sign: Float

    /// The number of scalars in the block.
    public var count: Int { range.count }

    /// θ ← θ + α·(±g): the step of a chain that leaves the direction alone.
    @inline(__always)
    public func descend() {
        Kernels.descend(gradient, sign: sign, parameters: parameters, alpha: alpha, count: count)
    }
}

/// A piece of an optimizer step that rewrites the update direction, optax style.
///
/// A transform is its configuration (a value) plus a `State` that the optimizer stores and
/// checkpoints. Each step the optimizer calls `plan` once, with the state, to fix per-step scalars
/// (a schedule's value, a clip factor, whether this is the first step) and take hold of
/// per-parameter buffers; then `apply` once per block, possibly from several threads at once on
/// disjoint blocks — so `apply` must only read the plan and write the block's own positions.
public protocol GradientTransform: Sendable {
    /// Everything the transform remembers between steps. A copy is a checkpoint.
    associatedtype State: Codable, Sendable, Equatable
    /// What `plan` fixes for one step: scalars and pointers into the state's buffers.
    associatedtype Plan

    /// The state before the first step, for parameters laid out as `layout`.
    func makeState(for layout: ParameterLayout) -> State

    /// Fixes the step's scalars and prepares state buffers. Called once per applied step, before
    /// any `apply`; a skipped step never calls it.
    func plan(_ state: inout State, context: StepContext) -> Plan

    /// Rewrites `block.direction` in place.
    func apply(_ plan: Plan, to block: UpdateBlock)

    /// Throws `OptimizerError.invalidScheduleValue` if a schedule this transform reads is out of
    /// its domain at step `t`. Called before `plan`, so a refused step writes nothing.
    /// Default: nothing to check (see Schedule+Validation.swift).
    func checkSchedules(at t: Int) throws

    /// True if `plan` reads `context.gradientNorm`. Such a transform sees the norm of the gradient
    /// as it entered the step, so it must come first in a chain (`Chain` checks).
    var needsGradientNorm: Bool { get }

    /// True if, under `plan`, `apply` leaves every direction exactly as it found it (no clipping
    /// this step, σₜ = 0, λ = 0, μ = 0). A chain skips such a part, so its neighbour can fuse.
    /// Default: false.
    func isIdentity(_ plan: Plan) -> Bool

    /// The whole update of one block in a single pass, θ ← θ + α·transform(±g), read straight
    /// from the gradient with no scratch direction: what PyTorch calls a fused step. Returns true
    /// if it did so, false (touching nothing) if the transform has no fused kernel for `plan`;
    /// the optimizer then takes the general path. Both paths must give the same bits.
    /// Default: `block.descend()` when `isIdentity(plan)`, otherwise false.
    func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool
}

extension GradientTransform {
    public var needsGradientNorm: Bool { false }

    public func isIdentity(_ plan: Plan) -> Bool { false }

    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        guard isIdentity(plan) else { return false }
        block.descend()
        return true
    }
}

// MARK: - Chain

/// `first`, then `second`, block by block.
public struct Chain<First: GradientTransform, Second: GradientTransform>: GradientTransform {
    /// Runs first.
    public let first: First
    /// Runs second, on what `first` left.
    public let second: Second

    /// `first` then `second`. Stops if `second` needs the gradient norm: that norm is of the
    /// gradient entering the chain, which `second` does not see.
    public init(_ first: First, _ second: Second) {
        check(!second.needsGradientNorm,
                     "\(Second.self) reads the gradient's norm, so it must come first in a chain")
        self.first = first
        self.second = second
    }

    /// The states of both parts.
    public struct State: Codable, Sendable, Equatable {
        /// `first`'s state.
        public var first: First.State
        /// `second`'s state.
        public var second: Second.State
    }

    /// Both plans.
    public struct Plan {
        let first: First.Plan
        let second: Second.Plan
    }

    public var needsGradientNorm: Bool { first.needsGradientNorm }

    public func makeState(for layout: ParameterLayout) -> State {
        State(first: first.makeState(for: layout), second: second.makeState(for: layout))
    }

    public func plan(_ state: inout State, context: StepContext) -> Plan {
        Plan(first: first.plan(&state.first, context: context), second: second.plan(&state.second, context: context))
    }

    @inline(__always)
    public func apply(_ plan: Plan, to block: UpdateBlock) {
        first.apply(plan.first, to: block)
        second.apply(plan.second, to: block)
    }

    public func isIdentity(_ plan: Plan) -> Bool { first.isIdentity(plan.first) && second.isIdentity(plan.second) }

    /// Fuses when at most one part does anything this step: that part's fused kernel runs alone.
    @inline(__always)
    public func applyFused(_ plan: Plan, to block: FusedBlock) -> Bool {
        if first.isIdentity(plan.first) { return second.applyFused(plan.second, to: block) }
        if second.isIdentity(plan.second) { return first.applyFused(plan.first, to: block) }
        return false
    }
}

/// `a` then `b`.
public func chain<A: GradientTransform, B: GradientTransform>(_ a: A, _ b: B) -> Chain<A, B> { Chain(a, b) }

/// `a`, `b`, then `c`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform>(
    _ a: A, _ b: B, _ c: C
) -> Chain<Chain<A, B>, C> { Chain(Chain(a, b), c) }

/// `a`, `b`, `c`, then `d`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform, D: GradientTransform>(
    _ a: A, _ b: B, _ c: C, _ d: D
) -> Chain<Chain<Chain<A, B>, C>, D> { Chain(Chain(Chain(a, b), c), d) }

/// `a`, `b`, `c`, `d`, then `e`.
public func chain<A: GradientTransform, B: GradientTransform, C: GradientTransform, D: GradientTransform, E: GradientTransform>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E
) -> Chain<Chain<Chain<Chain<A, B>, C>, D>, E> { Chain(Chain(Chain(Chain(a, b), c), d), e) }

// MARK: - Identity

/// Leaves the direction as it is: plain gradient descent when it is the whole chain.
public struct Identity: GradientTransform {
    /// The identity transform.
    public init() {}
    /// Stateless.
    public struct State: Codable, Sendable, Equatable {}
    public func makeState(for layout: ParameterLayout) -> State { State() }
    public func plan(_ state: inout State, context: StepContext) {}
    @inline(__always) public func apply(_ plan: Void, to block: UpdateBlock) {}
    public func isIdentity(_ plan: Void) -> Bool { true }
}

// MARK: - Per-parameter buffers

extension Tensor {
    /// The scalars' base address after making the storage unique. Valid while this tensor is
    /// neither copied-and-written nor released: a transform's state holds its buffers for a whole
    /// step, so a plan may keep the pointer until the step ends.
    mutating func uniqueBaseAddress() -> UnsafeMutablePointer<Float> {
        makeUnique()
        return storage.pointer
    }
}
