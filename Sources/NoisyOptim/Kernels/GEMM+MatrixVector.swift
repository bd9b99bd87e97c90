// GEMM+MatrixVector: products whose C is one column (m×1) or one row (1×n), without packing.
//
// Through the register-tiled path such a product wastes all but one column (or row) of every
// tile: 7/8 of the multiplies in the default build, and it packs both operands first. Here each
// element of C is one sum of k products, computed in the micro-kernel's order (p ascending from a
// zero accumulator, split at the same kc boundaries, merged with the same two roundings), so the
// result is bitwise the one the tiled path gives: a model evaluated on a batch of one row equals
// that row of the batched evaluation.

/// The vector side of a matrix-vector product: C[l] = α·Σₚ M[l, p]·v[p] + β·C[l] for
/// l < length, M[l, p] at `matrix + l·lineStride + p·depthStride`, v[p] at `vector + p·vectorStride`,
/// C[l] at `c + l·cStride`.
struct MatrixVectorOperands {
    var length: Int
    var depth: Int
    var matrix: UnsafePointer<Float>, lineStride: Int, depthStride: Int
    var vector: UnsafePointer<Float>, vectorStride: Int
    var c: UnsafeMutablePointer<Float>, cStride: Int
    var alpha: Float, beta: Float

    /// The product C ← α·op(A)·op(B) + β·C as a matrix-vector product, when C is one column or
    /// one row; nil otherwise.
    init?(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        depth = k
        self.alpha = alpha
        self.beta = beta
        self.c = c
        if n == 1 {
            // C[i] = Σ op(A)[i, p]·op(B)[p, 0]: op(A)[i, p] is A[i, p] or A[p, i].
            length = m
            matrix = a
            (lineStride, depthStride) = transposeA ? (1, lda) : (lda, 1)
            vector = b
            vectorStride = transposeB ? 1 : ldb // op(B)[p, 0] is B[0, p] or B[p, 0]
            cStride = ldc
        } else if m == 1 {
            // C[j] = Σ op(A)[0, p]·op(B)[p, j]: op(B)[p, j] is B[p, j] or B[j, p].
            length = n
            matrix = b
            (lineStride, depthStride) = transposeB ? (ldb, 1) : (1, ldb)
            vector = a
            vectorStride = transposeA ? lda : 1 // op(A)[0, p] is A[p, 0] or A[0, p]
            cStride = 1
        } else {
            return nil
        }
    }
}

/// Runs a matrix-vector product in slices of `kc` along the depth, as the tiled path does.
func multiplyMatrixVector(_ op: MatrixVectorOperands, kc: Int) {
    var p0 = 0
    while p0 < op.depth {
        let slice = min(kc, op.depth - p0)
        // Later slices add to what the first one stored, as in `multiplyRegion`.
        let beta: Float = p0 == 0 ? op.beta : 1
        if op.lineStride == 1 && op.length >= 4 {
            matrixVectorAlongLines(op, depth: p0..<(p0 + slice), beta: beta)
        } else {
            matrixVectorAlongDepth(op, depth: p0..<(p0 + slice), beta: beta)
        }
        p0 += slice
    }
}

/// acc + x·y with the micro-kernel's arithmetic: fused in the FMA build, mul then add otherwise.
@inline(__always)
private func multiplyAdd<V: SIMD>(_ acc: V, _ x: V, _ y: V) -> V where V.Scalar == Float {
#if NOISYOPTIM_FMA
    acc.addingProduct(x, y)
#else
    acc + x * y
#endif
}

@inline(__always)
private func multiplyAdd(_ acc: Float, _ x: Float, _ y: Float) -> Float {
#if NOISYOPTIM_FMA
    acc.addingProduct(x, y)
#else
    acc + x * y
#endif
}

/// c ← α·acc, or α·acc + β·c: the micro-kernel's two roundings.
@inline(__always)
private func store(_ acc: Float, to c: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
    c.pointee = beta == 0 ? acc * alpha : acc * alpha + c.pointee * beta
}

@inline(__always)
private func loadVector<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

/// M's lines are contiguous across l (M[l, p] at l + p·depthStride): vectors run along l, and
/// each lane sums its own line over p in order, so no shuffles are needed. Pointers step through
/// the depth (no index products or overflow checks in the inner loops).
private func matrixVectorAlongLines(_ op: MatrixVectorOperands, depth: Range<Int>, beta: Float) {
    typealias V = SIMD8<Float>
    let ds = op.depthStride, vs = op.vectorStride, steps = depth.count
    let firstRow = op.matrix + depth.lowerBound &* ds, firstValue = op.vector + depth.lowerBound &* vs
    var l = 0
    // Sixteen lanes per pass: two independent accumulators hide the add latency.
    while l + 16 <= op.length {
        var acc0 = V(), acc1 = V()
        var row = firstRow + l, value = firstValue
        for _ in 0..<steps {
            let x = V(repeating: value.pointee)
            acc0 = multiplyAdd(acc0, loadVector(row), x)
            acc1 = multiplyAdd(acc1, loadVector(row + 8), x)
            row += ds; value += vs
        }
        for i in 0..<8 { store(acc0[i], to: op.c + (l + i) &* op.cStride, alpha: op.alpha, beta: beta) }
        for i in 0..<8 { store(acc1[i], to: op.c + (l + 8 + i) &* op.cStride, alpha: op.alpha, beta: beta) }
        l += 16
    }
    while l + 4 <= op.length {
        var acc = SIMD4<Float>()
        var row = firstRow + l, value = firstValue
        for _ in 0..<steps {
            acc = multiplyAdd(acc, loadVector(row), SIMD4(repeating: value.pointee))
            row += ds; value += vs
        }
        for i in 0..<4 { store(acc[i], to: op.c + (l + i) &* op.cStride, alpha: op.alpha, beta: beta) }
        l += 4
    }
    while l < op.length {
        var acc: Float = 0
        var row = firstRow + l, value = firstValue
        for _ in 0..<steps {
            acc = multiplyAdd(acc, row.pointee, value.pointee)
            row += ds; value += vs
        }
        store(acc, to: op.c + l &* op.cStride, alpha: op.alpha, beta: beta)
        l += 1
    }
}

/// M's lines are contiguous along p (M[l, p] at l·lineStride + p): four lines at a time, four
/// steps of p loaded per line and transposed in registers, so each lane still adds its line's
/// products in order of p. Other layouts (a strided line shorter than four) go one line at a time.
private func matrixVectorAlongDepth(_ op: MatrixVectorOperands, depth: Range<Int>, beta: Float) {
    typealias V = SIMD4<Float>
    let ls = op.lineStride, ds = op.depthStride, vs = op.vectorStride, steps = depth.count
    let firstValue = op.vector + depth.lowerBound &* vs
    var l = 0
    if ds == 1 {
        while l + 4 <= op.length {
            var line0 = op.matrix + l &* ls + depth.lowerBound
            var line1 = line0 + ls, line2 = line1 + ls, line3 = line2 + ls
            var value = firstValue
            var acc = V()
            var remaining = steps
            while remaining >= 4 {
                let r0: V = loadVector(line0), r1: V = loadVector(line1)
                let r2: V = loadVector(line2), r3: V = loadVector(line3)
                acc = multiplyAdd(acc, V(r0[0], r1[0], r2[0], r3[0]), V(repeating: value.pointee))
                acc = multiplyAdd(acc, V(r0[1], r1[1], r2[1], r3[1]), V(repeating: value[vs]))
                acc = multiplyAdd(acc, V(r0[2], r1[2], r2[2], r3[2]), V(repeating: value[2 &* vs]))
                acc = multiplyAdd(acc, V(r0[3], r1[3], r2[3], r3[3]), V(repeating: value[3 &* vs]))
                line0 += 4; line1 += 4; line2 += 4; line3 += 4
                value += 4 &* vs
                remaining -= 4
            }
            while remaining > 0 {
                acc = multiplyAdd(acc, V(line0.pointee, line1.pointee, line2.pointee, line3.pointee), V(repeating: value.pointee))
                line0 += 1; line1 += 1; line2 += 1; line3 += 1
                value += vs
                remaining -= 1
            }
            for i in 0..<4 { store(acc[i], to: op.c + (l + i) &* op.cStride, alpha: op.alpha, beta: beta) }
            l += 4
        }
    }
    while l < op.length {
        var acc: Float = 0
        var entry = op.matrix + l &* ls + depth.lowerBound &* ds, value = firstValue
        for _ in 0..<steps {
            acc = multiplyAdd(acc, entry.pointee, value.pointee)
            entry += ds; value += vs
        }
        store(acc, to: op.c + l &* op.cStride, alpha: op.alpha, beta: beta)
        l += 1
    }
}
