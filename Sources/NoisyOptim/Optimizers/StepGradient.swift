// StepGradient: the whole gradient of a step, lent to a transform's `plan` for a pass over the
// entire vector before any block is written — what a learning rate learned from g·uₜ₋₁ needs.

/// The gradient of the step being taken, as the objective returned it (before clipping and
/// gradient noise), for a transform that declared `needsGradient`.
///
/// Blocks are applied in parallel and each must know the step's scalars first, so a quantity
/// that reduces over the whole gradient (a dot product, a norm test) has to be taken in `plan`.
/// The buffer is lent for the duration of `plan` only: copy what you need, never the pointer.
public struct StepGradient: @unchecked Sendable {
    /// g, one scalar per parameter, valid while `plan` runs.
    public let values: UnsafeBufferPointer<Float>
    /// +1, or −1 when the optimizer maximizes: the chain's direction starts as sign·g.
    public let sign: Float

    /// The gradient `values`, entering the chain as `sign`·g.
    public init(values: UnsafeBufferPointer<Float>, sign: Float) {
        self.values = values
        self.sign = sign
    }

    /// Σᵢ (sign·gᵢ)·xᵢ over every position: Float vectors within fixed blocks of 2¹⁴ scalars,
    /// Double across them, so the value never depends on the thread count. `x` must hold as
    /// many scalars as the gradient.
    public func dot(_ x: UnsafeBufferPointer<Float>) -> Double {
        check(x.count == values.count, "StepGradient.dot: \(x.count) scalars against a gradient of \(values.count)")
        guard let a = values.baseAddress, let b = x.baseAddress else { return 0 }
        let count = values.count
        if count <= reductionBlock { return Double(sign) * Double(Kernels.blockDot(a, b, count: count)) }
        let blocks = (count + reductionBlock - 1) / reductionBlock
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { partials in
            let out = partials.baseAddress!
            Parallel.forEachChunk(count: blocks, minimumChunk: max(1, Kernels.parallelThreshold / reductionBlock)) { range in
                for block in range {
                    let start = block * reductionBlock
                    out[block] = Double(Kernels.blockDot(a + start, b + start, count: min(reductionBlock, count - start)))
                }
            }
        }
        return Double(sign) * partials.reduce(0, +)
    }
}
