// Kernels+PerExample: the loops behind per-example gradients — one example's weight gradient
// x ⊗ δ written in place into its row of the B × P matrix, and rows scaled by a coefficient.

extension Kernels {
    /// out[j·k + l] = x[j]·δ[l] for j < m, l < k: the outer product xδᵀ (m × k, row-major), one
    /// example's gradient of a weight W in x·W (Goodfellow 2015). One multiply per element, so
    /// it matches the single-example GEMM xᵀ·δ (a depth-1 product) exactly.
    static func outerProduct(_ x: UnsafePointer<Float>, count m: Int, _ delta: UnsafePointer<Float>, count k: Int,
                             _ out: UnsafeMutablePointer<Float>) {
        let vectorEnd = k / 16 * 16
        for j in 0..<m {
            let xj = x[j]
            let s = Vector(repeating: xj)
            let row = out + j * k
            var l = 0
            while l < vectorEnd {
                storeVector(s * loadVector(delta + l), row + l)
                l += 16
            }
            // Narrow outputs (10 classes) end in a few scalars; a padded vector would cost more.
            while l < k {
                row[l] = xj * delta[l]
                l += 1
            }
        }
    }

    /// out[i] = scale·x[i] for i < count.
    static func scaledCopy(_ x: UnsafePointer<Float>, scale: Float, _ out: UnsafeMutablePointer<Float>, count: Int) {
        let s = Vector(repeating: scale)
        var i = 0
        while i + 16 <= count {
            storeVector(s * loadVector(x + i), out + i)
            i += 16
        }
        while i < count {
            out[i] = scale * x[i]
            i += 1
        }
    }
}
