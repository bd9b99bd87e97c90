// LaneUpdate, DirectionSource: a rule's fused step taken a few positions at a time, so that a
// prelude that makes the direction (added noise) can hand each group of lanes straight to it.
//
// Why: a noisy step's prelude is compute-bound (generating normals) and the rule's pass is
// memory-bound (θ and its state from DRAM). Run one after the other over an L1 block, the core
// waits on memory during the rule's pass and the memory idles during the prelude's; interleaved
// row by row, the rule's loads and stores spread over the generator's arithmetic and the
// prefetchers keep them in cache. Measured on 10M parameters, one thread: in a standalone loop
// (normals and a momentum update, misses ignored) 1.97 ns per parameter block by block, 1.54–1.66
// with the rule's pass after every 16–128 normals, 1.22 lane by lane, against 0.84 for the normals
// alone and 0.56 for the memory traffic alone; in the library, with the masked update that the
// ziggurat's misses need, the noisy momentum step 2.57 → 2.25 (alternating runs of a harness).
// On vectors that fit the caches the block form stays faster (`UpdateBlock.interleavedPreludeMinimum`).

/// A rule's whole update of θ and its state at single positions of one block, given the direction
/// d there: the per-position form of a fused kernel (`GradientTransform.applyFused(_:to:)`), with
/// its bits.
///
/// Offsets count from the block's first position. Each position is updated exactly once, by one of
/// the two methods, in no particular order (the update of a position must not read another's).
public protocol LaneUpdate {
    /// Updates the four positions `offset ..< offset + 4` with directions `d`, except the lanes set
    /// in `skipped`, whose θ and state it leaves exactly as they were (their direction is not known
    /// yet; `update(_:at:)` comes later). Write it branch-free (`replacing(with:where:)` on the
    /// stored values): `skipped` is almost always empty, and in the generator's loop masked stores
    /// cost less than a branch.
    func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>)
    /// Updates the position `offset` with direction `d`.
    func update(_ d: Float, at offset: Int)
}

/// A producer of a block's direction that hands it to a `LaneUpdate` a few lanes at a time instead of
/// writing it out: what a chain passes to the rule after a prelude (see
/// `GradientTransform.applyFused(_:to:from:)`).
public protocol DirectionSource {
    /// Produces the direction of every position of the block and calls `update` on each exactly
    /// once; returns false, calling nothing, if it cannot (the chain then takes another path).
    func run<Update: LaneUpdate>(_ update: Update) -> Bool
}

/// θ − n in the lanes not `skipped` and θ itself (every bit, −0 and NaN included) in those that
/// are: θ − (n with skipped lanes +0). With n = (−α)·x it is θ + α·x to the bit, since (−α)·x is
/// −(α·x) exactly and θ − (−y) is θ + y; and θ − (+0) is θ. One mask instead of a select: two
/// instructions fewer per four lanes in the generator's row loop.
@inline(__always)
func maskedSubtract(_ theta: SIMD4<Float>, _ n: SIMD4<Float>, skipping skipped: SIMDMask<SIMD4<Int32>>) -> SIMD4<Float> {
    theta - n.replacing(with: 0, where: skipped)
}

/// θ ← θ + α·d: the update of a rule that leaves the direction alone (plain SGD).
public struct DescentLanes: LaneUpdate {
    /// θ at the block's first position.
    public let parameters: UnsafeMutablePointer<Float>
    /// α, the step size (−lrₜ once the learning rate is folded in).
    public let alpha: Float

    /// The update of `block`'s θ.
    @inline(__always)
    public init(_ block: FusedBlock) {
        parameters = block.parameters
        alpha = block.alpha
    }

    @inline(__always)
    public func update(_ d: SIMD4<Float>, at offset: Int, skipping skipped: SIMDMask<SIMD4<Int32>>) {
        let raw = UnsafeMutableRawPointer(parameters + offset)
        let theta = raw.loadUnaligned(as: SIMD4<Float>.self)
        raw.storeBytes(of: maskedSubtract(theta, (-alpha) * d, skipping: skipped), as: SIMD4<Float>.self)
    }

    @inline(__always)
    public func update(_ d: Float, at offset: Int) { parameters[offset] += alpha * d }
}

/// A prelude's `applyAsPrelude(_:to:updating:)` as a `DirectionSource`: what `Chain` hands to its
/// second part.
struct PreludeSource<Prelude: GradientTransform>: DirectionSource {
    let prelude: Prelude
    let plan: Prelude.Plan
    let block: FusedBlock

    @inline(__always)
    func run<Update: LaneUpdate>(_ update: Update) -> Bool {
        prelude.applyAsPrelude(plan, to: block, updating: update)
    }
}
