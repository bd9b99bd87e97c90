// UpdateBlock, FusedBlock: one cache-sized block of the flat vector, as a transform sees it while
// a step runs (the general path) and as a fused one-pass kernel sees it.

/// One block of the flat vector, as a transform sees it while a step runs.
///
/// `direction` is the block of the update: ±g on entry to the chain, −lrₜ·(the step direction)
/// after `ScaleByLearningRate`, and on exit Δθ, which the optimizer adds to θ; a transform
/// rewrites it in place. `parameters` are the same positions of
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

    /// `direction` as a buffer of `count` scalars.
    public var directionBuffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: direction, count: count) }

    /// `parameters` as a buffer of `count` scalars.
    public var parameterBuffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: parameters, count: count) }

    /// Scalars per block: 1024 Floats (4 KiB per buffer), so the direction block, the gradient, θ and
    /// the state buffers for the same positions sit in L1 together. Small blocks also interleave a
    /// noisy step's compute (generating normals) with its memory traffic finely enough for the
    /// hardware prefetchers to stream during the compute: measured 10–25% faster than 2048 for a
    /// noisy momentum step on 10M parameters. Divides `RandomStream.blockSize`, so noise never
    /// depends on it.
    public static let size = 1024

    /// The vector size from which a noisy step hands its noise to the rule lane by lane
    /// (`GradientTransform.applyFused(_:to:from:)`) instead of writing a block of it first: 2²⁰
    /// scalars (4 MiB a buffer). Measured on the noisy momentum step, one thread (ns per parameter,
    /// block by block / lane by lane): 100k 1.91 / 2.49, 300k 1.97 / 2.24, 1M 2.31 / 2.21, 3M
    /// 2.51 / 2.23, 10M 2.57 / 2.25. Below it the buffers sit in cache, memory does not wait on the
    /// generator, and the masked per-lane update only adds instructions.
    public static let interleavedPreludeMinimum = 1 << 20

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
    /// α: the step adds α·d to θ (−lrₜ once the learning-rate link is folded in).
    public let alpha: Float
    /// The direction starts as `sign`·g: +1, or −1 when maximizing.
    public let sign: Float
    /// An L1-sized buffer of `count` floats a prelude may write its direction into (see
    /// `GradientTransform.applyAsPrelude(_:to:)`), or nil.
    public let scratch: UnsafeMutablePointer<Float>?

    /// True when a prelude should hand its direction to the rule lane by lane
    /// (`GradientTransform.applyFused(_:to:from:)`) rather than through `scratch`: the optimizer's
    /// choice by the vector's size (see `UpdateBlock.interleavedPreludeMinimum`); both give the same bits.
    let interleavesPrelude: Bool

    /// A block read from `gradient` (times `sign`) that adds α·d to `parameters`.
    public init(range: Range<Int>, gradient: UnsafePointer<Float>, parameters: UnsafeMutablePointer<Float>,
                alpha: Float, sign: Float, scratch: UnsafeMutablePointer<Float>? = nil) {
        self.init(range: range, gradient: gradient, parameters: parameters, alpha: alpha, sign: sign, scratch: scratch,
                  interleavesPrelude: false)
    }

    init(range: Range<Int>, gradient: UnsafePointer<Float>, parameters: UnsafeMutablePointer<Float>,
         alpha: Float, sign: Float, scratch: UnsafeMutablePointer<Float>?, interleavesPrelude: Bool) {
        self.range = range
        self.gradient = gradient
        self.parameters = parameters
        self.alpha = alpha
        self.sign = sign
        self.scratch = scratch
        self.interleavesPrelude = interleavesPrelude
    }

    /// The number of scalars in the block.
    public var count: Int { range.count }

    /// The same block with α multiplied by `factor`: the fused step of a chain whose last link
    /// only scales (the learning rate).
    @inline(__always)
    public func scaled(by factor: Float) -> FusedBlock {
        FusedBlock(range: range, gradient: gradient, parameters: parameters, alpha: alpha * factor, sign: sign,
                   scratch: scratch, interleavesPrelude: interleavesPrelude)
    }

    /// The block the rest of a chain fuses on after a prelude wrote its direction to `scratch`:
    /// that direction as the gradient, sign +1, and no scratch (it is being read).
    @inline(__always)
    func afterPrelude() -> FusedBlock {
        FusedBlock(range: range, gradient: UnsafePointer(scratch!), parameters: parameters, alpha: alpha, sign: 1,
                   scratch: nil, interleavesPrelude: false)
    }

    /// θ ← θ + α·(±g): the step of a chain that leaves the direction alone.
    @inline(__always)
    public func descend() {
        Kernels.descend(gradient, sign: sign, parameters: parameters, alpha: alpha, count: count)
    }
}

