// Kernels+PerExample: the loops behind per-example gradients — one example's weight gradient
// x ⊗ δ written in place into its row of the B × P matrix, and rows scaled by a coefficient.

extension Kernels {
    /// out[j·k + l] = x[j]·δ[l] for j < m, l < k: the outer product xδᵀ (m × k, row-major), one
    /// example's gradient of a weight W in x·W (Goodfellow 2015). One multiply per element, so
    /// it matches the single-example GEMM xᵀ·δ (a depth-1 product) exactly.
    static func outerProduct(_ x: UnsafePointer<Float>, count m: Int, _ delta: UnsafePointer<Float>, count k: Int,
                             _ out: UnsafeMutablePointer<Float>) {
        if k >= 16 {
            for j in 0..<m {
                let s = Vector(repeating: x[j])
                let row = out + j * k
                var l = 0
                while l + 16 <= k {
                    storeVector(s * loadVector(delta + l), row + l)
                    l += 16
                }
                // The tail as one vector ending at k: it rewrites some lanes with the same products.
                if l < k { storeVector(s * loadVector(delta + (k - 16)), row + (k - 16)) }
            }
        } else if k > 0 {
            // Narrow outputs (10 classes): each 16-lane store covers row j's k entries and spills
            // into the rows after it, which later stores overwrite; the rows too close to the end
            // of the block for a whole vector are written one scalar at a time.
            let d = loadPartialVector(delta, count: k)
            var j = 0
            while j < m && j * k + 16 <= m * k {
                storeVector(Vector(repeating: x[j]) * d, out + j * k)
                j += 1
            }
            while j < m {
                for l in 0..<k { out[j * k + l] = x[j] * delta[l] }
                j += 1
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
