// GEMM: packed, cache-blocked single-precision matrix multiply (GotoBLAS/BLIS structure).
//
// Builds. The default build targets baseline x86-64 (SSE2) and uses a mul + add micro-kernel:
//     swift build -c release            swift run -c release noisyoptim-bench gemm
// On a CPU with AVX2 and FMA, the `FMA` trait plus a target that has FMA gives the fused kernel
// (no unsafeFlags needed: SwiftPM forwards -Xcc to swiftc, whose code generator takes its CPU
// features from the Clang target options):
//     swift build -c release --traits FMA -Xcc -march=x86-64-v3
//     swift run -c release --traits FMA -Xcc -march=x86-64-v3 noisyoptim-bench gemm
//     swift test --traits FMA -Xcc -march=x86-64-v3
// x86-64-v3 (AVX2 + FMA) runs on any x86 CPU since Haswell / Zen 1; -Xcc -march=native also
// works. `-Xswiftc -target-cpu -Xswiftc haswell` works too, but swiftc's -target-cpu does not
// accept the x86-64-v3 level names. Never enable the trait without such a flag: on baseline
// x86-64 a fused multiply-add on a vector is lowered to one `fmaf` call per lane (0.8 GFLOPS).
// Check a build with `objdump -d .build/release/noisyoptim-bench | grep -c vfmadd`.
// On an AVX-512 CPU the `AVX512` trait (which implies `FMA`) with -Xcc -march=x86-64-v4 gives the
// 12×32 zmm kernel; the bench prints each kernel's figures as a fraction of a register-only loop
// of its own instructions (`MicroKernelPeak`).

/// C ← α·op(A)·op(B) + β·C for row-major matrices, where op(X) is X or Xᵀ.
///
/// Shapes: op(A) is m×k, op(B) is k×n, C is m×n. Storage, all row-major:
/// - A is m×k with `lda ≥ k` when `transposeA` is false, else k×m with `lda ≥ m`;
/// - B is k×n with `ldb ≥ n` when `transposeB` is false, else n×k with `ldb ≥ k`;
/// - C is m×n with `ldc ≥ n`.
///
/// Any of m, n, k may be 0 (a leading dimension of a zero-width matrix may then be anything ≥ 1).
/// When k == 0 or α == 0 the result is β·C and A, B are not read, as in BLAS. When β == 0, C is
/// only written, never read, so whatever it held (NaN included) does not reach the result.
///
/// Each element of C is summed in the same order whatever `Parallelism.maximumThreadCount` is
/// (threads split m or n, never k), so results are bitwise identical for every thread count.
package func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                  alpha: Float, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
         alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
         blocking: .standard)
}

/// Which micro-kernel this build compiled (default mul + add, or fused), for benchmark tables.
package var gemmMicroKernelDescription: String { MicroKernel.name }

/// The standard blocking's packed block of A, for benchmark tables: rows, depth and what chose them.
package var gemmBlockingDescription: String {
    let blocking = GEMMBlocking.standard
    let level2 = CacheSize.level2Bytes.map { "\($0 >> 10) KiB" } ?? "not reported"
    return "mc = \(blocking.mc), kc = \(blocking.kc) (\((blocking.mc * blocking.kc * MicroKernel.packedACopies * 4) >> 10) KiB of packed A; L2 \(level2))"
}

/// Cache-blocking and threading parameters of `gemm`. Internal so tests can shrink them and make
/// small products cross block boundaries and take the threaded path.
struct GEMMBlocking {
    /// Rows of op(A) packed at once (rounded up to the micro-kernel's rows): the packed block,
    /// mc×kc floats, should sit in the L2 cache.
    var mc: Int
    /// Depth of one packed block: a kc-long sliver of A and of B should fit in L1 together.
    var kc: Int
    /// Columns of op(B) packed at once (rounded up to the micro-kernel's columns): kc×nc floats
    /// should fit in the last-level cache.
    var nc: Int
    /// Products with fewer multiply-adds (m·n·k) per extra thread stay on fewer threads: each
    /// thread packs its own copy of the operand it does not split.
    var multiplyAddsPerThread: Int
    /// Products with at most this many multiply-adds and k ≤ kc skip packing (except ragged edges)
    /// and run the micro-kernel on A and B in place. With k ≤ kc both paths sum every element in
    /// the same order, so the choice never changes a bit of the result. They run on one thread:
    /// splitting them over two (tried) made a 64-128-10 MLP step ~10% faster on a quiet machine
    /// but ~60% slower with another process busy on a core, where the helper's spinning between
    /// these short calls takes turns with the caller.
    var directMultiplyAdds: Int = 1 << 19

    /// Tuned on a Zen 4 core (32 KiB L1d, 1 MiB L2), but for the default build's row block, which
    /// follows the L2 size (`rowsPerBlock(level2Bytes:)`).
    ///
    /// A second thread pays once a product takes ~30 µs alone: `WorkerPool` hands work to a
    /// spinning worker in about a microsecond, so the cost is repacking, not waking (with
    /// Dispatch's ~45 µs wake-up the bar was 4·10⁶). About 10⁶ multiply-adds for the mul + add
    /// kernel, 3× more for the fused one: 2-thread scaling 1.8× at 128², 1.94–2.0× from 256².
    static let standard = GEMMBlocking(mc: rowsPerBlock(level2Bytes: CacheSize.level2Bytes), kc: 256, nc: 4080,
                                       multiplyAddsPerThread: multiplyAddsPerThread)

    /// Rows of A per packed block on a core with this much L2 (nil: not reported).
    ///
    /// The default build packs A four times over (`MicroKernel.packedACopies`), so its block is
    /// 4 KiB per row. 96 rows (384 KiB) suit a 1 MiB L2 or more (Zen 4); in a 512 KiB L2 (Zen 3)
    /// that block leaves too little room for B's slivers and C's tiles, and 24 rows (96 KiB) ran
    /// 0.84 of peak at 512² against 0.78 (the README's Zen 3 section). These are the two measured
    /// sizes; a core that does not report its L2 gets the first. The fused kernels pack A once:
    /// 240 rows (240 KiB), and on the Zen 3 core 48 and 120 rows ran the same to within 0.02.
    static func rowsPerBlock(level2Bytes: Int?) -> Int {
#if NOISYOPTIM_FMA
        return 240
#else
        guard let bytes = level2Bytes, bytes < 1 << 20 else { return 96 }
        return 24
#endif
    }

#if NOISYOPTIM_AVX512
    // Twice the fused AVX2 kernel's rate again: the same wake-up cost is worth a second thread
    // from twice the work.
    private static let multiplyAddsPerThread = 6 << 19
#elseif NOISYOPTIM_FMA
    private static let multiplyAddsPerThread = 3 << 19
#else
    private static let multiplyAddsPerThread = 1 << 19
#endif
}

/// The implementation behind `gemm`, with explicit blocking parameters.
func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
          alpha: Float, a: UnsafePointer<Float>, lda: Int,
          b: UnsafePointer<Float>, ldb: Int,
          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
          blocking: GEMMBlocking) {
    check(m >= 0 && n >= 0 && k >= 0, "gemm: sizes must be non-negative, got m = \(m), n = \(n), k = \(k)")
    let aColumns = transposeA ? m : k
    let bColumns = transposeB ? k : n
    check(lda >= max(1, aColumns),
                 "gemm: lda = \(lda) is less than the \(aColumns) columns of A (\(transposeA ? "k×m, transposed" : "m×k"))")
    check(ldb >= max(1, bColumns),
                 "gemm: ldb = \(ldb) is less than the \(bColumns) columns of B (\(transposeB ? "n×k, transposed" : "k×n"))")
    check(ldc >= max(1, n), "gemm: ldc = \(ldc) is less than the \(n) columns of C")
    assert(blocking.mc > 0 && blocking.kc > 0 && blocking.nc > 0, "gemm: block sizes must be positive") // internal configuration

    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        scale(c, rows: m, columns: n, ldc: ldc, by: beta)
        return
    }
    // One column or one row of C: no tiles, no packing (bitwise the same sums, see the file).
    if let product = MatrixVectorOperands(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
        multiplyMatrixVector(product, kc: blocking.kc)
        return
    }

    let operands = GEMMOperands(transposeA: transposeA, transposeB: transposeB, k: k, alpha: alpha,
                                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    // Saturating, so absurd sizes reach the packed path instead of trapping on overflow.
    let (mn, overflowMN) = m.multipliedReportingOverflow(by: n)
    let (product, overflowMNK) = mn.multipliedReportingOverflow(by: k)
    let work = overflowMN || overflowMNK ? Int.max : product
    if work <= blocking.directMultiplyAdds && k <= blocking.kc {
        multiplyDirect(operands, m: m, n: n)
        return
    }
    // Split the longer side of C, so the operand every thread packs again is the smaller one
    // (splitting n repacks A, m·k floats; splitting m repacks B, k·n floats).
    let splitColumns = n >= m
    let tile = splitColumns ? MicroKernel.columns : MicroKernel.rows
    let tiles = ((splitColumns ? n : m) + tile - 1) / tile
    let threads = min(Parallelism.maximumThreadCount, tiles, max(1, work / blocking.multiplyAddsPerThread))
    if threads <= 1 {
        multiplyRegion(operands, rows: 0..<m, columns: 0..<n, blocking: blocking)
        return
    }
    Parallel.forEachTask(threads) { part in
        let lower = min(tiles * part / threads * tile, splitColumns ? n : m)
        let upper = min(tiles * (part + 1) / threads * tile, splitColumns ? n : m)
        if splitColumns {
            multiplyRegion(operands, rows: 0..<m, columns: lower..<upper, blocking: blocking)
        } else {
            multiplyRegion(operands, rows: lower..<upper, columns: 0..<n, blocking: blocking)
        }
    }
}

/// The arguments of one product, bundled so the per-thread code takes one value.
private struct GEMMOperands {
    var transposeA: Bool, transposeB: Bool
    var k: Int
    var alpha: Float
    var a: UnsafePointer<Float>, lda: Int
    var b: UnsafePointer<Float>, ldb: Int
    var beta: Float
    var c: UnsafeMutablePointer<Float>, ldc: Int
}

/// C ← β·C (C ← 0 when β == 0, without reading C).
private func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, by beta: Float) {
    if beta == 1 { return }
    for i in 0..<rows {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: columns)
        } else {
            for j in 0..<columns { row[j] *= beta }
        }
    }
}

/// Computes the block C[rows, columns] with the GotoBLAS loop nest, using one packing buffer.
///
/// Loop order (outer to inner): nc-wide panels of B, kc-deep slices of k (pack B̃, kc×nc), mc-tall
/// blocks of A (pack Ã, mc×kc), then the macro-kernel over register tiles. When A is one block,
/// B̃ is packed one sliver at a time inside the macro-kernel instead. Only the kc loop
/// touches an element's summation order, and it runs the same for any region.
private func multiplyRegion(_ op: GEMMOperands, rows: Range<Int>, columns: Range<Int>, blocking: GEMMBlocking) {
    let mr = MicroKernel.rows, nr = MicroKernel.columns
    let mc = roundUp(min(blocking.mc, rows.count), to: mr)
    let nc = roundUp(min(blocking.nc, columns.count), to: nr)
    let kc = min(blocking.kc, op.k)
    let readsAInPlace = MicroKernel.readsRowMajorAInPlace && !op.transposeA
    // With a single block of A, each sliver of B̃ is used by one pass over A's slivers only, so it
    // is packed just before that pass into the same kc×nr buffer, which stays in L1, instead of all
    // of B̃ first (an MLP's 784-wide Bᵀ: 784 KiB through L2). Intel Xeon, AVX512 build, one thread,
    // medians of 14 alternating runs: dX 128×256·256×784 0.78 → 0.81 of peak; the forward and the
    // default build unchanged.
    let packsBBySliver = rows.count <= mc
    // One allocation per call and thread: packed A, packed B, and a scratch tile for edges.
    // The kernel loads unaligned, so the slivers need no particular alignment.
    let aFloats = mc * kc * MicroKernel.packedACopies
    let bFloats = packsBBySliver ? kc * nr : kc * nc
    let floats = aFloats + bFloats + mr * nr
    let raw = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
    defer { raw.deallocate() }
    let packedA = raw.bindMemory(to: Float.self, capacity: floats)
    let packedB = packedA + aFloats
    let scratch = packedB + bFloats

    var jc = columns.lowerBound
    while jc < columns.upperBound {
        let ncBlock = min(nc, columns.upperBound - jc)
        var pc = 0
        while pc < op.k {
            let kcBlock = min(kc, op.k - pc)
            if !packsBBySliver {
                packB(op, depth: pc..<(pc + kcBlock), columns: jc..<(jc + ncBlock), into: packedB)
            }
            // Later slices of k add to what the first one stored.
            let beta: Float = pc == 0 ? op.beta : 1
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let mcBlock = min(mc, rows.upperBound - ic)
                let inPlaceA: UnsafePointer<Float>?
                if readsAInPlace {
                    // Full slivers are read where they lie (`MicroKernel.readsRowMajorAInPlace`); only
                    // the ragged last one is packed, zero-padded, at the offset it has in a full packing.
                    let fullRows = mcBlock / mr * mr
                    if fullRows < mcBlock {
                        packA(op, rows: (ic + fullRows)..<(ic + mcBlock), depth: pc..<(pc + kcBlock),
                              into: packedA + fullRows * kcBlock, copies: 1)
                    }
                    inPlaceA = op.a + ic * op.lda + pc
                } else {
                    packA(op, rows: ic..<(ic + mcBlock), depth: pc..<(pc + kcBlock), into: packedA,
                          copies: MicroKernel.packedACopies)
                    inPlaceA = nil
                }
                macroKernel(rows: mcBlock, columns: ncBlock, depth: kcBlock,
                            packedA: packedA, inPlaceA: inPlaceA, lda: op.lda, packedB: packedB,
                            packingB: packsBBySliver ? (op, pc..<(pc + kcBlock), jc) : nil,
                            c: op.c + ic * op.ldc + jc, ldc: op.ldc,
                            alpha: op.alpha, beta: beta, scratch: scratch)
                ic += mcBlock
            }
            pc += kcBlock
        }
        jc += ncBlock
    }
}

@inline(__always)
private func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Runs the micro-kernel over every register tile of a packed block. Full tiles write C directly;
/// edge tiles go through a scratch tile and are merged with the same two roundings. With
/// `packingB` = (operands, steps, first column of the panel) each sliver of B is packed into
/// `packedB` just before its tiles run; without it `packedB` holds every sliver already.
@inline(__always)
private func macroKernel(rows: Int, columns: Int, depth: Int,
                         packedA: UnsafePointer<Float>, inPlaceA: UnsafePointer<Float>?, lda: Int,
                         packedB: UnsafeMutablePointer<Float>, packingB: (GEMMOperands, Range<Int>, Int)?,
                         c: UnsafeMutablePointer<Float>, ldc: Int,
                         alpha: Float, beta: Float, scratch: UnsafeMutablePointer<Float>) {
    let mr = MicroKernel.rows, nr = MicroKernel.columns
    var jr = 0
    while jr < columns {
        let width = min(nr, columns - jr)
        let b: UnsafePointer<Float>
        if let (op, steps, firstColumn) = packingB {
            packB(op, depth: steps, columns: (firstColumn + jr)..<(firstColumn + jr + width), into: packedB)
            b = UnsafePointer(packedB)
        } else {
            b = UnsafePointer(packedB + jr * depth)
        }
        var ir = 0
        while ir < rows {
            let height = min(mr, rows - ir)
            let a = packedA + ir * depth * MicroKernel.packedACopies
            let tile = c + ir * ldc + jr
            if let source = inPlaceA, height == mr {
                let rowsOfA = source + ir * lda
                if width == nr {
                    MicroKernel.run(kc: depth, a: rowsOfA, aRowStride: lda, aStep: 1, b: b, bStep: nr,
                                    c: tile, ldc: ldc, alpha: alpha, beta: beta)
                } else {
                    MicroKernel.run(kc: depth, a: rowsOfA, aRowStride: lda, aStep: 1, b: b, bStep: nr,
                                    c: scratch, ldc: nr, alpha: 1, beta: 0)
                    merge(scratch, into: tile, ldc: ldc, height: height, width: width, alpha: alpha, beta: beta)
                }
            } else if width == nr && height == mr {
                MicroKernel.runPacked(kc: depth, a: a, b: b, bStep: nr, c: tile, ldc: ldc, alpha: alpha, beta: beta)
            } else {
                MicroKernel.runPacked(kc: depth, a: a, b: b, bStep: nr, c: scratch, ldc: nr, alpha: 1, beta: 0)
                merge(scratch, into: tile, ldc: ldc, height: height, width: width, alpha: alpha, beta: beta)
            }
            ir += mr
        }
        jr += nr
    }
}

/// The small-product path: one thread, no blocking (k ≤ kc), and A and B read in place where the
/// kernel can (B needs contiguous rows, so Bᵀ is packed whole); only the ragged last row sliver of
/// A and column sliver of B are packed, zero-padded, so the kernel never reads past the matrices.
/// The default build packs all of A, four copies of each value (`MicroKernel.packedACopies`): its
/// kernel is a third faster on such a sliver, which pays for the packing from a few columns of C.
private func multiplyDirect(_ op: GEMMOperands, m: Int, n: Int) {
    let mr = MicroKernel.rows, nr = MicroKernel.columns
    let k = op.k
    let packsAllOfA = MicroKernel.packedACopies > 1
    let fullRows = packsAllOfA ? 0 : m / mr * mr, fullColumns = n / nr * nr
    let bFloats = op.transposeB ? k * roundUp(n, to: nr) : (n > fullColumns ? k * nr : 0)
    let aFloats = packsAllOfA ? roundUp(m, to: mr) * k * MicroKernel.packedACopies : (m > fullRows ? k * mr : 0)
    let floats = bFloats + aFloats + mr * nr
    let raw = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
    defer { raw.deallocate() }
    let packedB = raw.bindMemory(to: Float.self, capacity: floats)
    let packedA = packedB + bFloats // the ragged last rows of A, or all of it
    let scratch = packedA + aFloats
    if op.transposeB {
        packB(op, depth: 0..<k, columns: 0..<n, into: packedB)
    } else if n > fullColumns {
        packB(op, depth: 0..<k, columns: fullColumns..<n, into: packedB)
    }
    if m > fullRows { packA(op, rows: fullRows..<m, depth: 0..<k, into: packedA, copies: MicroKernel.packedACopies) }
    // op(A)[i, p] is A[i, p] or, transposed, A[p, i].
    let aRowStride = op.transposeA ? 1 : op.lda, aStep = op.transposeA ? op.lda : 1

    var jr = 0
    while jr < n {
        let width = min(nr, n - jr)
        let b: UnsafePointer<Float>, bStep: Int
        if op.transposeB {
            b = UnsafePointer(packedB + jr * k); bStep = nr
        } else if jr < fullColumns {
            b = op.b + jr; bStep = op.ldb
        } else {
            b = UnsafePointer(packedB); bStep = nr
        }
        var ir = 0
        while ir < m {
            let height = min(mr, m - ir)
            let tile = op.c + ir * op.ldc + jr
            if packsAllOfA {
                let a = UnsafePointer(packedA + ir * k * MicroKernel.packedACopies)
                if width == nr && height == mr {
                    MicroKernel.runPacked(kc: k, a: a, b: b, bStep: bStep, c: tile, ldc: op.ldc, alpha: op.alpha, beta: op.beta)
                } else {
                    MicroKernel.runPacked(kc: k, a: a, b: b, bStep: bStep, c: scratch, ldc: nr, alpha: 1, beta: 0)
                    merge(scratch, into: tile, ldc: op.ldc, height: height, width: width, alpha: op.alpha, beta: op.beta)
                }
            } else if height == mr {
                let a = op.a + ir * aRowStride
                if width == nr {
                    MicroKernel.run(kc: k, a: a, aRowStride: aRowStride, aStep: aStep, b: b, bStep: bStep,
                                    c: tile, ldc: op.ldc, alpha: op.alpha, beta: op.beta)
                } else {
                    MicroKernel.run(kc: k, a: a, aRowStride: aRowStride, aStep: aStep, b: b, bStep: bStep,
                                    c: scratch, ldc: nr, alpha: 1, beta: 0)
                    merge(scratch, into: tile, ldc: op.ldc, height: height, width: width, alpha: op.alpha, beta: op.beta)
                }
            } else {
                MicroKernel.run(kc: k, a: packedA, aRowStride: 1, aStep: mr, b: b, bStep: bStep,
                                c: scratch, ldc: nr, alpha: 1, beta: 0)
                merge(scratch, into: tile, ldc: op.ldc, height: height, width: width, alpha: op.alpha, beta: op.beta)
            }
            ir += mr
        }
        jr += nr
    }
}

/// Writes the valid `height`×`width` corner of a scratch tile (row stride `MicroKernel.columns`)
/// into C with the micro-kernel's two roundings: `c ← α·t`, or `c ← α·t + β·c`.
@inline(__always)
private func merge(_ scratch: UnsafePointer<Float>, into tile: UnsafeMutablePointer<Float>, ldc: Int,
                   height: Int, width: Int, alpha: Float, beta: Float) {
    let nr = MicroKernel.columns
    for i in 0..<height {
        let source = scratch + i * nr, target = tile + i * ldc
        if beta == 0 {
            for j in 0..<width { target[j] = alpha * source[j] }
        } else {
            for j in 0..<width { target[j] = alpha * source[j] + beta * target[j] }
        }
    }
}

// MARK: - Packing

/// Packs op(A)[rows, depth] as slivers of `MicroKernel.rows` rows: sliver s holds, for each p,
/// the column op(A)[s·mr ..< s·mr + mr, p] contiguously; rows past the end are zero, so edge tiles
/// run the full kernel. The transpose is absorbed here: only the read pattern changes. With
/// `copies` > 1 each value is then written `copies` times in a row (see `MicroKernel.packedACopies`).
private func packA(_ op: GEMMOperands, rows: Range<Int>, depth: Range<Int>, into packed: UnsafeMutablePointer<Float>,
                   copies: Int = 1) {
    assert(copies == 1 || copies == 4, "packA: 1 or 4 copies") // internal configuration
    let mr = MicroKernel.rows
    var destination = packed
    var i0 = rows.lowerBound
    while i0 < rows.upperBound {
        let height = min(mr, rows.upperBound - i0)
        if op.transposeA {
            // op(A)[i, p] = A[p, i]: each step of the sliver is contiguous in A.
            copySliver(into: destination, width: mr, from: op.a + depth.lowerBound * op.lda + i0,
                       step: op.lda, count: height, depth: depth.count)
        } else {
            // op(A)[i, p] = A[i, p]: the sliver's rows are contiguous in A.
            transposeSliver(into: destination, width: mr, from: op.a + i0 * op.lda + depth.lowerBound,
                            stride: op.lda, count: height, depth: depth.count)
        }
        if copies == 4 { broadcastInPlace(destination, count: mr * depth.count) }
        destination += mr * depth.count * copies
        i0 += mr
    }
}

/// Replaces the `count` values at `values` by four copies of each, in place (the buffer must hold
/// 4·count): value j moves to 4j … 4j + 3. Runs from the end, so every value is read before the
/// copies of later values overwrite it (4j ≥ j).
@inline(__always)
private func broadcastInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
    var j = count - 1
    while j >= 0 {
        UnsafeMutableRawPointer(values + 4 * j).storeBytes(of: SIMD4(repeating: values[j]), as: SIMD4<Float>.self)
        j -= 1
    }
}

/// Packs op(B)[depth, columns] as slivers of `MicroKernel.columns` columns: sliver s holds, for
/// each p, the row op(B)[p, s·nr ..< s·nr + nr] contiguously, zero-padded past the last column.
private func packB(_ op: GEMMOperands, depth: Range<Int>, columns: Range<Int>, into packed: UnsafeMutablePointer<Float>) {
    let nr = MicroKernel.columns
    var destination = packed
    var j0 = columns.lowerBound
    while j0 < columns.upperBound {
        let width = min(nr, columns.upperBound - j0)
        if op.transposeB {
            // op(B)[p, j] = B[j, p]: the sliver's columns are rows of B.
            transposeSliver(into: destination, width: nr, from: op.b + j0 * op.ldb + depth.lowerBound,
                            stride: op.ldb, count: width, depth: depth.count)
        } else {
            // op(B)[p, j] = B[p, j]: each step of the sliver is contiguous in B.
            copySliver(into: destination, width: nr, from: op.b + depth.lowerBound * op.ldb + j0,
                       step: op.ldb, count: width, depth: depth.count)
        }
        destination += nr * depth.count
        j0 += nr
    }
}

/// Packs a sliver whose `count` values of each step lie contiguously at `source + p·step`:
/// `destination[p·width + i] = source[p·step + i]`, zero for `count ≤ i < width`. A full step moves
/// as whole vectors: written as an element loop, LLVM unrolled it into one scalar load and store
/// per float (presumably because it cannot rule out that the buffers overlap). Packing was 12% of
/// the AVX512 build's `gemm` benchmark profile on an Intel Xeon with that loop, 7.6% with vectors.
@inline(__always)
private func copySliver(into destination: UnsafeMutablePointer<Float>, width: Int, from source: UnsafePointer<Float>,
                        step: Int, count: Int, depth: Int) {
    var destination = destination, source = source
    if count == width {
        for _ in 0..<depth {
            var i = 0
            while i &+ 8 <= width {
                UnsafeMutableRawPointer(destination + i)
                    .storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                i &+= 8
            }
            while i &+ 4 <= width {
                UnsafeMutableRawPointer(destination + i)
                    .storeBytes(of: UnsafeRawPointer(source + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
                i &+= 4
            }
            while i < width { destination[i] = source[i]; i &+= 1 }
            destination += width
            source += step
        }
    } else {
        for _ in 0..<depth {
            for i in 0..<count { destination[i] = source[i] }
            for i in count..<width { destination[i] = 0 }
            destination += width
            source += step
        }
    }
}

/// Packs a sliver stored across: `count` source rows `stride` apart, each contiguous along p:
/// `destination[p·width + i] = source[i·stride + p]`, zero for `count ≤ i < width`. Four rows by
/// four steps at a time go through 4×4 register transposes, so reads and writes are both vectors
/// instead of one scalar store per element; so do the whole groups of four rows of a ragged sliver
/// (the last sliver of most products), leaving only its last count % 4 rows to scalar copies.
@inline(__always)
private func transposeSliver(into destination: UnsafeMutablePointer<Float>, width: Int, from source: UnsafePointer<Float>,
                             stride: Int, count: Int, depth: Int) {
    typealias V = SIMD4<Float>
    let rowBytes = width &* MemoryLayout<Float>.stride
    var p = 0
    while p &+ 4 <= depth {
        let out = destination + p &* width
        var i = 0
        while i &+ 4 <= count {
            let row = source + (i &* stride &+ p)
            let x0 = UnsafeRawPointer(row).loadUnaligned(as: V.self)
            let x1 = UnsafeRawPointer(row + stride).loadUnaligned(as: V.self)
            let x2 = UnsafeRawPointer(row + 2 &* stride).loadUnaligned(as: V.self)
            let x3 = UnsafeRawPointer(row + 3 &* stride).loadUnaligned(as: V.self)
            let target = UnsafeMutableRawPointer(out + i)
            target.storeBytes(of: V(x0[0], x1[0], x2[0], x3[0]), as: V.self)
            target.storeBytes(of: V(x0[1], x1[1], x2[1], x3[1]), toByteOffset: rowBytes, as: V.self)
            target.storeBytes(of: V(x0[2], x1[2], x2[2], x3[2]), toByteOffset: 2 &* rowBytes, as: V.self)
            target.storeBytes(of: V(x0[3], x1[3], x2[3], x3[3]), toByteOffset: 3 &* rowBytes, as: V.self)
            i &+= 4
        }
        while i < count {
            let x = UnsafeRawPointer(source + (i &* stride &+ p)).loadUnaligned(as: V.self)
            out[i] = x[0]; out[width &+ i] = x[1]; out[2 &* width &+ i] = x[2]; out[3 &* width &+ i] = x[3]
            i &+= 1
        }
        while i < width {
            out[i] = 0; out[width &+ i] = 0; out[2 &* width &+ i] = 0; out[3 &* width &+ i] = 0
            i &+= 1
        }
        p &+= 4
    }
    // The last depth % 4 steps.
    while p < depth {
        let out = destination + p &* width
        for i in 0..<count { out[i] = source[i &* stride &+ p] }
        for i in count..<width { out[i] = 0 }
        p &+= 1
    }
}
