// GEMM+MicroKernel: the register-tiled inner kernel, one per build (plain mul + add, or fused).

/// The micro-kernel: C[0..<rows, 0..<columns] ← α·Â·B̂ + β·C for one register tile, where Â is a
/// packed `rows`-wide sliver of A (for each p, `rows` consecutive values) and B̂ a packed
/// `columns`-wide sliver of B (for each p, `columns` consecutive values), both `kc` long.
///
/// Every element's sum runs over p in order from a zero accumulator, whatever the tile's position,
/// so edge tiles (computed into a scratch tile) and interior tiles round identically.
enum MicroKernel {
#if NOISYOPTIM_FMA
    /// A description of the compiled kernel, for benchmark tables.
    static let name = "FMA 6×16 (addingProduct)"
    /// Rows of C per register tile (the width of a packed A sliver).
    static let rows = 6
    /// Columns of C per register tile (the width of a packed B sliver).
    static let columns = 16
#else
    /// A description of the compiled kernel, for benchmark tables.
    static let name = "default 6×8 (SIMD4 mul + add)"
    /// Rows of C per register tile (the width of a packed A sliver).
    static let rows = 6
    /// Columns of C per register tile (the width of a packed B sliver).
    static let columns = 8
#endif


    /// Runs the kernel over `kc` steps of the packed slivers `a` and `b` and writes the tile at `c`
    /// (row stride `ldc`): `c ← α·acc` when β == 0 (C is not read), else `c ← α·acc + β·c`.
    /// `a` and `b` must be 16-byte aligned.
    @inline(never)
    static func run(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
#if NOISYOPTIM_FMA
        kernel6x16Fused(kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
#else
        kernel6x8(kc: kc, a: a, b: b, c: c, ldc: ldc, alpha: alpha, beta: beta)
#endif
    }
}

@inline(__always)
private func load<V: SIMD>(_ p: UnsafePointer<Float>, as: V.Type = V.self) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

/// `c ← α·acc (+ β·c)`, one row segment of a tile. The same two roundings as the scalar edge merge.
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

#if NOISYOPTIM_FMA

/// 6×16 tile: 12 accumulators of 8 lanes (AVX2 ymm registers) + 2 for the B row + 1 broadcast,
/// the classic Haswell shape; the fused multiply-add halves the instruction count.
@inline(__always)
private func kernel6x16Fused(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD8<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb), b1: V = load(pb + 8)
        var x = V(repeating: pa[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: pa[1])
        c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: pa[2])
        c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: pa[3])
        c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: pa[4])
        c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: pa[5])
        c50.addProduct(x, b0); c51.addProduct(x, b1)
        pa += 6; pb += 16
    }
    update(c, c00, alpha: alpha, beta: beta); update(c + 8, c01, alpha: alpha, beta: beta)
    var r = c + ldc
    update(r, c10, alpha: alpha, beta: beta); update(r + 8, c11, alpha: alpha, beta: beta); r += ldc
    update(r, c20, alpha: alpha, beta: beta); update(r + 8, c21, alpha: alpha, beta: beta); r += ldc
    update(r, c30, alpha: alpha, beta: beta); update(r + 8, c31, alpha: alpha, beta: beta); r += ldc
    update(r, c40, alpha: alpha, beta: beta); update(r + 8, c41, alpha: alpha, beta: beta); r += ldc
    update(r, c50, alpha: alpha, beta: beta); update(r + 8, c51, alpha: alpha, beta: beta)
}

#else

/// 4×12 tile in SSE terms: 12 accumulators of 4 lanes + the A column + 2 temporaries = 15 of the
/// 16 xmm registers. The four A values arrive in one load and are spread by shuffles, cheaper
/// than four scalar-load-and-broadcast pairs; the B row is read from memory by the multiplies.
@inline(__always)
private func kernel4x12(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD4<Float>
    var c00 = V(), c01 = V(), c02 = V(), c10 = V(), c11 = V(), c12 = V()
    var c20 = V(), c21 = V(), c22 = V(), c30 = V(), c31 = V(), c32 = V()
    var pa = a, pb = b
    for _ in 0..<kc {
        let av: V = load(pa)
        let b0: V = load(pb), b1: V = load(pb + 4), b2: V = load(pb + 8)
        var x = V(repeating: av[0])
        c00 += x * b0; c01 += x * b1; c02 += x * b2
        x = V(repeating: av[1])
        c10 += x * b0; c11 += x * b1; c12 += x * b2
        x = V(repeating: av[2])
        c20 += x * b0; c21 += x * b1; c22 += x * b2
        x = V(repeating: av[3])
        c30 += x * b0; c31 += x * b1; c32 += x * b2
        pa += 4; pb += 12
    }
    var r = c
    update(r, c00, alpha: alpha, beta: beta); update(r + 4, c01, alpha: alpha, beta: beta)
    update(r + 8, c02, alpha: alpha, beta: beta); r += ldc
    update(r, c10, alpha: alpha, beta: beta); update(r + 4, c11, alpha: alpha, beta: beta)
    update(r + 8, c12, alpha: alpha, beta: beta); r += ldc
    update(r, c20, alpha: alpha, beta: beta); update(r + 4, c21, alpha: alpha, beta: beta)
    update(r + 8, c22, alpha: alpha, beta: beta); r += ldc
    update(r, c30, alpha: alpha, beta: beta); update(r + 4, c31, alpha: alpha, beta: beta)
    update(r + 8, c32, alpha: alpha, beta: beta)
}


@inline(__always)
private func kernel6x8(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                       c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float) {
    typealias V = SIMD4<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var pa = a, pb = b
    for _ in 0..<kc {
        let b0: V = load(pb), b1: V = load(pb + 4)
        var x = V(repeating: pa[0])
        c00 += x * b0; c01 += x * b1
        x = V(repeating: pa[1])
        c10 += x * b0; c11 += x * b1
        x = V(repeating: pa[2])
        c20 += x * b0; c21 += x * b1
        x = V(repeating: pa[3])
        c30 += x * b0; c31 += x * b1
        x = V(repeating: pa[4])
        c40 += x * b0; c41 += x * b1
        x = V(repeating: pa[5])
        c50 += x * b0; c51 += x * b1
        pa += 6; pb += 8
    }
    var r = c
    update(r, c00, alpha: alpha, beta: beta); update(r + 4, c01, alpha: alpha, beta: beta); r += ldc
    update(r, c10, alpha: alpha, beta: beta); update(r + 4, c11, alpha: alpha, beta: beta); r += ldc
    update(r, c20, alpha: alpha, beta: beta); update(r + 4, c21, alpha: alpha, beta: beta); r += ldc
    update(r, c30, alpha: alpha, beta: beta); update(r + 4, c31, alpha: alpha, beta: beta); r += ldc
    update(r, c40, alpha: alpha, beta: beta); update(r + 4, c41, alpha: alpha, beta: beta); r += ldc
    update(r, c50, alpha: alpha, beta: beta); update(r + 4, c51, alpha: alpha, beta: beta)
}

#endif
