// GEMM+MicroKernel: the register-tiled inner kernel, one per build (plain mul + add, fused AVX2, or
// fused AVX-512).

/// The micro-kernel: one `rows`×`columns` register tile of C ← α·op(A)·op(B) + β·C over a depth
/// of `kc`, from a sliver of A (`rows` values per step) and a sliver of B (`columns` contiguous
/// values per step).
///
/// The slivers are usually packed (A: row stride 1, step `rows`; B: step `columns`), but the
/// strides are parameters so small products can read A and B where they lie.
/// Every element's sum runs over p in order from a zero accumulator, whatever the tile's position,
/// so edge tiles (computed into a scratch tile) and interior tiles round identically.
enum MicroKernel {
#if NOISYOPTIM_AVX512
    /// A description of the compiled kernel, for benchmark tables.
    static let name = "AVX-512 12×32 (SIMD16 addingProduct)"
    /// Rows of C per register tile (the width of a packed A sliver).
    static let rows = 12
    /// Columns of C per register tile (the width of a packed B sliver).
    static let columns = 32
#elseif NOISYOPTIM_FMA
    /// A description of the compiled kernel, for benchmark tables.
    static let name = "FMA 6×16 (SIMD8 addingProduct)"
    /// Rows of C per register tile (the width of a packed A sliver).
    static let rows = 6
    /// Columns of C per register tile (the width of a packed B sliver).
    static let columns = 16
#else
    /// A description of the compiled kernel, for benchmark tables.
    static let name = "default 6×8 (SIMD8 rows, mul + add, A packed broadcast)"
    /// Rows of C per register tile (the width of a packed A sliver).
    static let rows = 6
    /// Columns of C per register tile (the width of a packed B sliver).
    static let columns = 8
#endif

    /// Copies of each value in a packed A block: 4 in the default build, whose kernel loads each
    /// A value as a ready 4-lane vector (SSE2 has no broadcast from memory: `movss` + `shufps`
    /// put 6 shuffles per step on the two pipes the multiplies and adds use, 38 → 51 GFLOPS
    /// in a harness of the kernel alone); 1 in the fused builds, which broadcast from memory.
#if NOISYOPTIM_FMA
    static let packedACopies = 1
#else
    static let packedACopies = 4
#endif

    /// Whether the packed path reads the full slivers of a row-major A (op(A) = A) in place, row
    /// stride `lda`, instead of transposing them into a packed block: true in the AVX512 build only.
    /// Its kernel does a packed element's multiply-adds in half the fused AVX2 kernel's time, so the
    /// transpose is twice the share there, and each A value is read once per 32 columns of C, not 16.
    /// Six to ten alternating runs of each on an Intel Xeon (fraction of measured peak, one thread,
    /// median): AVX512 MLP forward 128×784·784×256 0.66 → 0.79, 128² 0.75 → 0.83, 256² 0.84 → 0.91,
    /// 512² 0.85 → 0.88; the FMA build ran no faster (512² 0.88 → 0.84, forward 0.81 → 0.80).
    /// The values are the same either way: packing only copies.
#if NOISYOPTIM_AVX512
    static let readsRowMajorAInPlace = true
#else
    static let readsRowMajorAInPlace = false
#endif

    /// `run` on a packed A sliver (`packedACopies` copies of each value, `rows` values per step)
    /// and a B sliver whose `columns` values of step p are contiguous at `b + p·bStep`.
    @inline(never)
    static func runPacked(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bStep: Int,
                          c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
#if NOISYOPTIM_AVX512
        kernel12x32Fused(kc: kc, a: a, aRowStride: 1, aStep: rows, b: b, bStep: bStep,
                         c: c, ldc: ldc, alpha: alpha, beta: beta)
#elseif NOISYOPTIM_FMA
        kernel6x16Fused(kc: kc, a: a, aRowStride: 1, aStep: rows, b: b, bStep: bStep,
                        c: c, ldc: ldc, alpha: alpha, beta: beta)
#else
        kernel6x8BroadcastA(kc: kc, a: a, b: b, bStep: bStep, c: c, ldc: ldc, alpha: alpha, beta: beta)
#endif
    }

    /// Runs the kernel and writes the tile at `c` (row stride `ldc`): `c ← α·acc` when β == 0
    /// (C is not read), else `c ← α·acc + β·c`.
    ///
    /// - Parameters:
    ///   - a: op(A)[0, 0] of the sliver; op(A)[i, p] is at `a + i·aRowStride + p·aStep`.
    ///   - b: op(B)[0, 0] of the sliver; op(B)[p, 0..<columns] is contiguous at `b + p·bStep`.
    @inline(never)
    static func run(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                    b: UnsafePointer<Float>, bStep: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
#if NOISYOPTIM_AVX512
        kernel12x32Fused(kc: kc, a: a, aRowStride: aRowStride, aStep: aStep, b: b, bStep: bStep,
                         c: c, ldc: ldc, alpha: alpha, beta: beta)
#elseif NOISYOPTIM_FMA
        kernel6x16Fused(kc: kc, a: a, aRowStride: aRowStride, aStep: aStep, b: b, bStep: bStep,
                        c: c, ldc: ldc, alpha: alpha, beta: beta)
#else
        kernel6x8(kc: kc, a: a, aRowStride: aRowStride, aStep: aStep, b: b, bStep: bStep,
                  c: c, ldc: ldc, alpha: alpha, beta: beta)
#endif
    }
}

@inline(__always)
private func load<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

/// `c ← α·acc (+ β·c)` for one row segment of a tile: two separate roundings, exactly as the
/// scalar edge merge in `macroKernel` does them, so edge and interior tiles agree bit for bit.
@inline(__always)
private func update<V: SIMD>(_ c: UnsafeMutablePointer<Float>, _ acc: V, alpha: Float, beta: Float)
where V.Scalar == Float {
    let raw = UnsafeMutableRawPointer(c)
    if beta == 0 {
        raw.storeBytes(of: acc * alpha, as: V.self)
    } else {
        let old = raw.loadUnaligned(as: V.self)
        raw.storeBytes(of: acc * alpha + old * beta, as: V.self)
    }
}

#if NOISYOPTIM_AVX512

/// 12×32 tile: 24 accumulators of 16 lanes (zmm registers) + 2 for the B row + 1 broadcast = 27 of
/// AVX-512's 32 registers. 24 independent fused multiply-adds per step cover the 4-cycle latency
/// of two 512-bit FMA pipes three times over; 12 broadcasts and 2 loads per 24 FMAs stay within
/// two loads per cycle. The B sliver (32 × kc floats, 32 KiB at kc = 256) stays in L1 while the A
/// slivers stream past it.
@inline(__always)
private func kernel12x32Fused(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                              b: UnsafePointer<Float>, bStep: Int,
                              c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var c60 = V(), c61 = V(), c70 = V(), c71 = V(), c80 = V(), c81 = V()
    var c90 = V(), c91 = V(), ca0 = V(), ca1 = V(), cb0 = V(), cb1 = V()
    let s = aRowStride
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb), b1: V = load(pb + 16)
        var x = V(repeating: pa[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: pa[s])
        c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: pa[2 * s])
        c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: pa[3 * s])
        c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: pa[4 * s])
        c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: pa[5 * s])
        c50.addProduct(x, b0); c51.addProduct(x, b1)
        x = V(repeating: pa[6 * s])
        c60.addProduct(x, b0); c61.addProduct(x, b1)
        x = V(repeating: pa[7 * s])
        c70.addProduct(x, b0); c71.addProduct(x, b1)
        x = V(repeating: pa[8 * s])
        c80.addProduct(x, b0); c81.addProduct(x, b1)
        x = V(repeating: pa[9 * s])
        c90.addProduct(x, b0); c91.addProduct(x, b1)
        x = V(repeating: pa[10 * s])
        ca0.addProduct(x, b0); ca1.addProduct(x, b1)
        x = V(repeating: pa[11 * s])
        cb0.addProduct(x, b0); cb1.addProduct(x, b1)
        pa += aStep; pb += bStep
    }
    var r = c
    update(r, c00, alpha: alpha, beta: beta); update(r + 16, c01, alpha: alpha, beta: beta); r += ldc
    update(r, c10, alpha: alpha, beta: beta); update(r + 16, c11, alpha: alpha, beta: beta); r += ldc
    update(r, c20, alpha: alpha, beta: beta); update(r + 16, c21, alpha: alpha, beta: beta); r += ldc
    update(r, c30, alpha: alpha, beta: beta); update(r + 16, c31, alpha: alpha, beta: beta); r += ldc
    update(r, c40, alpha: alpha, beta: beta); update(r + 16, c41, alpha: alpha, beta: beta); r += ldc
    update(r, c50, alpha: alpha, beta: beta); update(r + 16, c51, alpha: alpha, beta: beta); r += ldc
    update(r, c60, alpha: alpha, beta: beta); update(r + 16, c61, alpha: alpha, beta: beta); r += ldc
    update(r, c70, alpha: alpha, beta: beta); update(r + 16, c71, alpha: alpha, beta: beta); r += ldc
    update(r, c80, alpha: alpha, beta: beta); update(r + 16, c81, alpha: alpha, beta: beta); r += ldc
    update(r, c90, alpha: alpha, beta: beta); update(r + 16, c91, alpha: alpha, beta: beta); r += ldc
    update(r, ca0, alpha: alpha, beta: beta); update(r + 16, ca1, alpha: alpha, beta: beta); r += ldc
    update(r, cb0, alpha: alpha, beta: beta); update(r + 16, cb1, alpha: alpha, beta: beta)
}

#elseif NOISYOPTIM_FMA

/// 6×16 tile: 12 accumulators of 8 lanes (AVX2 ymm registers) + 2 for the B row + 1 broadcast =
/// 15 of 16 registers, the classic Haswell shape. 12 independent fused multiply-adds per step
/// cover the 4-cycle latency of 2 FMA pipes; 6 broadcasts and 2 loads per 12 FMAs keep the load
/// ports below saturation.
@inline(__always)
private func kernel6x16Fused(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                             b: UnsafePointer<Float>, bStep: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    let s1 = aRowStride, s2 = 2 * aRowStride, s3 = 3 * aRowStride, s4 = 4 * aRowStride, s5 = 5 * aRowStride
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb), b1: V = load(pb + 8)
        var x = V(repeating: pa[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: pa[s1])
        c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: pa[s2])
        c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: pa[s3])
        c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: pa[s4])
        c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: pa[s5])
        c50.addProduct(x, b0); c51.addProduct(x, b1)
        pa += aStep; pb += bStep
    }
    var r = c
    update(r, c00, alpha: alpha, beta: beta); update(r + 8, c01, alpha: alpha, beta: beta); r += ldc
    update(r, c10, alpha: alpha, beta: beta); update(r + 8, c11, alpha: alpha, beta: beta); r += ldc
    update(r, c20, alpha: alpha, beta: beta); update(r + 8, c21, alpha: alpha, beta: beta); r += ldc
    update(r, c30, alpha: alpha, beta: beta); update(r + 8, c31, alpha: alpha, beta: beta); r += ldc
    update(r, c40, alpha: alpha, beta: beta); update(r + 8, c41, alpha: alpha, beta: beta); r += ldc
    update(r, c50, alpha: alpha, beta: beta); update(r + 8, c51, alpha: alpha, beta: beta)
}

#else

/// 6×8 tile in SSE terms: 12 accumulators of 4 lanes + 2 for the B row + the broadcast + one
/// product temporary (SSE multiplies overwrite an operand) = exactly the 16 xmm registers, with
/// no spills. A 4×12 tile has the same 12 accumulators but needs 3 B registers and spilled two
/// accumulators to the stack (25 → 35 GFLOPS when replaced by this shape).
///
/// Written with SIMD8 rows, which baseline x86-64 splits into xmm pairs (the same code as SIMD4
/// pairs), so that a build for an AVX target (-Xcc -march=x86-64-v3 without the FMA trait) gets
/// 6 ymm accumulators and twice the work per instruction instead of VEX-encoded xmm code.
@inline(__always)
private func kernel6x8(kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aStep: Int,
                       b: UnsafePointer<Float>, bStep: Int,
                       c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD8<Float>
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    let s1 = aRowStride, s2 = 2 * aRowStride, s3 = 3 * aRowStride, s4 = 4 * aRowStride, s5 = 5 * aRowStride
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb)
        c0 += V(repeating: pa[0]) * b0
        c1 += V(repeating: pa[s1]) * b0
        c2 += V(repeating: pa[s2]) * b0
        c3 += V(repeating: pa[s3]) * b0
        c4 += V(repeating: pa[s4]) * b0
        c5 += V(repeating: pa[s5]) * b0
        pa += aStep; pb += bStep
    }
    updateSixRows(c, ldc: ldc, c0, c1, c2, c3, c4, c5, alpha: alpha, beta: beta)
}

/// The six rows of a 6×8 tile into C (row stride `ldc`), as `update` does each.
@inline(__always)
private func updateSixRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, _ c0: SIMD8<Float>, _ c1: SIMD8<Float>,
                           _ c2: SIMD8<Float>, _ c3: SIMD8<Float>, _ c4: SIMD8<Float>, _ c5: SIMD8<Float>,
                           alpha: Float, beta: Float) {
    var r = c
    update(r, c0, alpha: alpha, beta: beta); r += ldc
    update(r, c1, alpha: alpha, beta: beta); r += ldc
    update(r, c2, alpha: alpha, beta: beta); r += ldc
    update(r, c3, alpha: alpha, beta: beta); r += ldc
    update(r, c4, alpha: alpha, beta: beta); r += ldc
    update(r, c5, alpha: alpha, beta: beta)
}

/// The 6×8 tile on an A sliver packed with each value four times (24 floats per step): every
/// broadcast is a plain 16-byte load, so a step is 8 loads, 12 multiplies and 12 adds with no
/// shuffles. The same products and sums, in the same order, as `kernel6x8`.
@inline(__always)
private func kernel6x8BroadcastA(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bStep: Int,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD8<Float>
    typealias Half = SIMD4<Float>
    @inline(__always)
    func splat(_ p: UnsafePointer<Float>) -> V {
        let x: Half = load(p)
        return V(lowHalf: x, highHalf: x)
    }
    var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb)
        c0 += splat(pa) * b0
        c1 += splat(pa + 4) * b0
        c2 += splat(pa + 8) * b0
        c3 += splat(pa + 12) * b0
        c4 += splat(pa + 16) * b0
        c5 += splat(pa + 20) * b0
        pa += 24; pb += bStep
    }
    updateSixRows(c, ldc: ldc, c0, c1, c2, c3, c4, c5, alpha: alpha, beta: beta)
}

#endif
