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

    /// out[r] = Σⱼ x[r·width + j]² for r < rows: the squared norms of a row-major matrix's rows
    /// (‖xᵢ‖² and ‖δᵢ‖² of the ghost norms, one call per matrix rather than per row).
    static func rowSquaredNorms(_ x: UnsafePointer<Float>, rows: Int, width: Int, _ out: UnsafeMutablePointer<Float>) {
        if width < 16 {
            for r in 0..<rows {
                let row = x + r * width
                var total: Float = 0
                for j in 0..<width { total += row[j] * row[j] }
                out[r] = total
            }
            return
        }
        // A ragged end is one vector ending at `width`, its lanes already counted set to zero.
        let tail = width % 16
        let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let counted = lanes .< Int32(16 - tail)
        for r in 0..<rows {
            let row = x + r * width
            var s0 = Vector(), s1 = Vector()
            var j = 0
            while j + 32 <= width {
                let a = loadVector(row + j), b = loadVector(row + j + 16)
                s0 += a * a
                s1 += b * b
                j += 32
            }
            if j + 16 <= width {
                let a = loadVector(row + j)
                s0 += a * a
            }
            if tail > 0 {
                let a = loadVector(row + (width - 16)).replacing(with: 0, where: counted)
                s1 += a * a
            }
            out[r] = (s0 + s1).sum()
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
