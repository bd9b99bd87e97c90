import Testing
@testable import NoisyOptim

// Tolerance: a Float dot product of length k summed in any order obeys
// |fl(s) − s| ≤ γₖ·Σ|aᵢ||bᵢ| with γₖ ≈ k·u (u = 2⁻²⁴, fused or not); scaling by α and adding β·c
// add two more roundings. Each element is therefore checked against
// (k + 2)·ε·(|α|·Σₚ|op(A)ᵢₚ||op(B)ₚⱼ| + |β|·|cᵢⱼ|) + tiny, with ε = 2⁻²³ = 2u: twice the
// worst-case bound, so no rounding pattern can fail it, yet a wrong, missing or doubled term
// (an O(1) fraction of the bound) can never pass. The reference is a naive triple loop in Double.

/// One product with its operands laid out in padded storage (leading dimensions wider than the
/// matrices, so a kernel that confuses width and leading dimension reads or writes the padding).
private struct Case: CustomTestStringConvertible {
    var transposeA: Bool, transposeB: Bool
    var m: Int, n: Int, k: Int
    var alpha: Float = 1.5, beta: Float = -0.75
    var testDescription: String {
        "\(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B") m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta)"
    }

    var lda: Int { (transposeA ? m : k) + 3 }
    var ldb: Int { (transposeB ? k : n) + 5 }
    var ldc: Int { n + 2 }
    var aCount: Int { max(1, (transposeA ? k : m) * lda) }
    var bCount: Int { max(1, (transposeB ? n : k) * ldb) }
    var cCount: Int { max(1, m * ldc) }

    func opA(_ a: [Float], _ i: Int, _ p: Int) -> Float { transposeA ? a[p * lda + i] : a[i * lda + p] }
    func opB(_ b: [Float], _ p: Int, _ j: Int) -> Float { transposeB ? b[j * ldb + p] : b[p * ldb + j] }
}

/// The sentinel left in C's padding columns: gemm must never write there.
private let padding: Float = 12345

private func run(_ t: Case, a: [Float], b: [Float], c: inout [Float], blocking: GEMMBlocking = .standard) {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                gemm(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k,
                     alpha: t.alpha, a: a.baseAddress!, lda: t.lda, b: b.baseAddress!, ldb: t.ldb,
                     beta: t.beta, c: c.baseAddress!, ldc: t.ldc, blocking: blocking)
            }
        }
    }
}

/// Random operands and C for `t`; C's padding holds the sentinel. `fill` replaces C's values.
private func inputs(_ t: Case, seed: UInt64, fill: Float? = nil) -> (a: [Float], b: [Float], c: [Float]) {
    var generator = TestGenerator(seed: seed)
    let a = generator.floats(t.aCount), b = generator.floats(t.bCount)
    var c = generator.floats(t.cCount)
    for i in 0..<t.m {
        for j in 0..<t.ldc {
            if j >= t.n { c[i * t.ldc + j] = padding } else if let fill { c[i * t.ldc + j] = fill }
        }
    }
    return (a, b, c)
}

/// The Double reference for `t`: the exact-ish result and the allowed error of every element.
private func reference(_ t: Case, a: [Float], b: [Float], c0: [Float]) -> (expected: [Double], allowed: [Double]) {
    var expected = [Double](repeating: 0, count: t.m * t.n), allowed = expected
    for i in 0..<t.m {
        for j in 0..<t.n {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<t.k {
                let product = Double(t.opA(a, i, p)) * Double(t.opB(b, p, j))
                sum += product
                magnitude += abs(product)
            }
            var value = Double(t.alpha) * sum
            var bound = abs(Double(t.alpha)) * magnitude
            if t.beta != 0 {
                value += Double(t.beta) * Double(c0[i * t.ldc + j])
                bound += abs(Double(t.beta) * Double(c0[i * t.ldc + j]))
            }
            expected[i * t.n + j] = value
            allowed[i * t.n + j] = Double(t.k + 2) * Double(Float.ulpOfOne) * bound + 1e-30
        }
    }
    return (expected, allowed)
}

/// Checks `result` (C after gemm) against the reference, and that C's padding is untouched.
private func check(_ t: Case, _ reference: (expected: [Double], allowed: [Double]), result: [Float],
                   _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    var worstExcess = -Double.infinity, worst = (0, 0, 0.0, 0.0)
    var paddingIntact = true
    for i in 0..<t.m {
        for j in t.n..<t.ldc where result[i * t.ldc + j] != padding { paddingIntact = false }
        for j in 0..<t.n {
            let actual = Double(result[i * t.ldc + j]), expected = reference.expected[i * t.n + j]
            let excess = actual.isNaN ? .infinity : abs(actual - expected) - reference.allowed[i * t.n + j]
            if excess > worstExcess { worstExcess = excess; worst = (i, j, actual, expected) }
        }
    }
    #expect(paddingIntact, "gemm wrote into C's padding columns: \(t.testDescription) \(comment)",
            sourceLocation: sourceLocation)
    if t.m > 0 && t.n > 0 {
        #expect(worstExcess <= 0,
                "C[\(worst.0), \(worst.1)] = \(worst.2), expected \(worst.3): \(t.testDescription) \(comment)",
                sourceLocation: sourceLocation)
    }
}

/// Runs `t` with each blocking and checks every result against one reference.
private func checkProduct(_ t: Case, seed: UInt64, blockings: [GEMMBlocking] = [.standard],
                          sourceLocation: SourceLocation = #_sourceLocation) {
    let (a, b, c0) = inputs(t, seed: seed)
    let expected = reference(t, a: a, b: b, c0: c0)
    for blocking in blockings {
        var c = c0
        run(t, a: a, b: b, c: &c, blocking: blocking)
        check(t, expected, result: c, "\(blocking)", sourceLocation: sourceLocation)
    }
}

private let transposes = [(false, false), (false, true), (true, false), (true, true)]

/// Blocks far smaller than the standard ones, so modest products cross every block boundary
/// (several nc, kc and mc blocks, each with a ragged last block) and take the threaded path.
private let tinyBlocking = GEMMBlocking(mc: 13, kc: 11, nc: 37, multiplyAddsPerThread: 1, directMultiplyAdds: 0)

/// Standard blocks, but never the direct path: small products go through packing.
private let packedOnly = GEMMBlocking(mc: GEMMBlocking.standard.mc, kc: GEMMBlocking.standard.kc,
                                      nc: GEMMBlocking.standard.nc,
                                      multiplyAddsPerThread: GEMMBlocking.standard.multiplyAddsPerThread,
                                      directMultiplyAdds: 0)

@Suite struct GEMMTests {
    /// Awkward sizes around the register tile (1, 7, 8, 9) and around 64, for every m, n, k
    /// combination and all four transposes, on the direct path (standard blocking: all of these
    /// are small) and on the packed path.
    @Test(arguments: [false, true], [false, true])
    func awkwardSizes(transposeA: Bool, transposeB: Bool) {
        let sizes = [0, 1, 7, 8, 9, 63, 64, 65]
        var seed: UInt64 = 1
        for m in sizes {
            for n in sizes {
                for k in sizes {
                    seed += 1
                    checkProduct(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k), seed: seed,
                                 blockings: [.standard, packedOnly])
                }
            }
        }
    }

    /// The same products with tiny blocks: every block loop runs several times with a ragged end.
    @Test(arguments: [false, true], [false, true])
    func awkwardSizesAcrossBlocks(transposeA: Bool, transposeB: Bool) {
        for (m, n, k) in [(65, 63, 64), (9, 65, 63), (64, 9, 65), (1, 65, 9), (63, 1, 65), (7, 8, 65)] {
            checkProduct(Case(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k),
                         seed: UInt64(m * 10_000 + n * 100 + k), blockings: [tinyBlocking])
        }
    }

    @Test(arguments: [false, true], [false, true])
    func largerProduct(transposeA: Bool, transposeB: Bool) {
        checkProduct(Case(transposeA: transposeA, transposeB: transposeB, m: 130, n: 257, k: 99), seed: 7,
                     blockings: [.standard, GEMMBlocking(mc: 48, kc: 40, nc: 96, multiplyAddsPerThread: 1)])
    }

    /// Large enough for the standard blocks to split: k = 300 spans two kc blocks and m = 310 two
    /// mc blocks, and the product is big enough to be split over threads.
    @Test func blockedProduct() {
        checkProduct(Case(transposeA: false, transposeB: false, m: 310, n: 61, k: 300), seed: 11)
        checkProduct(Case(transposeA: true, transposeB: true, m: 37, n: 305, k: 270), seed: 12)
    }

    /// With k ≤ kc the direct path and the packed path sum every element in the same order, so
    /// which one a size takes never changes the bits.
    @Test func directAndPackedPathsAgreeBitwise() {
        for (ta, tb) in transposes {
            let t = Case(transposeA: ta, transposeB: tb, m: 31, n: 45, k: 64)
            let (a, b, c0) = inputs(t, seed: 61)
            var direct = c0, packed = c0
            run(t, a: a, b: b, c: &direct, blocking: .standard)
            run(t, a: a, b: b, c: &packed, blocking: packedOnly)
            #expect(direct.map(\.bitPattern) == packed.map(\.bitPattern), "\(t.testDescription)")
        }
    }

    @Test(arguments: [Float(1), 0, 2.5])
    func alphaAndBetaCombinations(beta: Float) {
        for alpha: Float in [1, -0.5, 3] {
            checkProduct(Case(transposeA: false, transposeB: true, m: 17, n: 23, k: 19, alpha: alpha, beta: beta),
                         seed: 21, blockings: [.standard, packedOnly])
        }
    }

    /// β = 0 means C is output only: NaN already in C must not leak into the result, on the
    /// packed path, on edge tiles, and when k == 0 (C ← 0).
    @Test(arguments: [(m: 13, n: 29, k: 17), (m: 66, n: 70, k: 300), (m: 5, n: 6, k: 0)])
    func betaZeroIgnoresNaNInC(m: Int, n: Int, k: Int) {
        for (ta, tb) in transposes {
            let t = Case(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, beta: 0)
            let (a, b, c0) = inputs(t, seed: 31, fill: .nan)
            let expected = reference(t, a: a, b: b, c0: c0)
            for blocking in [GEMMBlocking.standard, packedOnly, tinyBlocking] {
                var c = c0
                run(t, a: a, b: b, c: &c, blocking: blocking)
                check(t, expected, result: c, "\(blocking)")
            }
        }
    }

    /// k == 0 or α == 0 leaves β·C (and, as in BLAS, does not read A or B).
    @Test func emptyDepthAndZeroAlphaScaleC() {
        for t in [Case(transposeA: false, transposeB: false, m: 9, n: 10, k: 0, alpha: 2, beta: 0.5),
                  Case(transposeA: true, transposeB: false, m: 9, n: 10, k: 4, alpha: 0, beta: -2)] {
            var (a, b, c0) = inputs(t, seed: 41)
            a = a.map { _ in .nan }
            b = b.map { _ in .nan }
            var c = c0
            run(t, a: a, b: b, c: &c)
            let expected = (0..<t.m).flatMap { i in (0..<t.ldc).map { j in j < t.n ? t.beta * c0[i * t.ldc + j] : padding } }
            #expect(c == expected, "\(t.testDescription)")
        }
    }

    @Test func negativeSizeIsRejected() async {
        await #expect(processExitsWith: .failure) {
            var c: [Float] = [0]
            let x: [Float] = [0]
            gemm(transposeA: false, transposeB: false, m: -1, n: 1, k: 1, alpha: 1,
                 a: x, lda: 1, b: x, ldb: 1, beta: 0, c: &c, ldc: 1)
        }
    }

    @Test func shortLeadingDimensionIsRejected() async {
        await #expect(processExitsWith: .failure) {
            var c = [Float](repeating: 0, count: 16)
            let x = [Float](repeating: 0, count: 16)
            // Aᵀ is stored k×m = 2×4, so lda must be at least m = 4.
            gemm(transposeA: true, transposeB: false, m: 4, n: 2, k: 2, alpha: 1,
                 a: x, lda: 2, b: x, ldb: 2, beta: 0, c: &c, ldc: 2)
        }
    }
}

/// Changes the process-wide thread limit, so its tests must not overlap each other.
@Suite(.serialized) struct GEMMThreadingTests {
    /// Runs `t` with the given thread limits and returns C for each, restoring the setting.
    private func results(_ t: Case, threads: [Int], blocking: GEMMBlocking) -> [[Float]] {
        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        let (a, b, c0) = inputs(t, seed: 51)
        return threads.map { count in
            Parallelism.maximumThreadCount = count
            var c = c0
            run(t, a: a, b: b, c: &c, blocking: blocking)
            return c
        }
    }

    /// Each element's sum runs in the same order whatever the thread count, so results are
    /// bitwise equal: split over n (wide C), over m (tall C), with tiny and standard blocks.
    @Test(arguments: [(m: 40, n: 130, k: 70), (m: 150, n: 20, k: 70), (m: 97, n: 101, k: 33)])
    func threadCountDoesNotChangeBits(m: Int, n: Int, k: Int) {
        for (ta, tb) in transposes {
            let t = Case(transposeA: ta, transposeB: tb, m: m, n: n, k: k)
            let tiny = results(t, threads: [1, 2, 3], blocking: tinyBlocking)
            #expect(tiny[0].map(\.bitPattern) == tiny[1].map(\.bitPattern), "\(t.testDescription), tiny blocks")
            #expect(tiny[0].map(\.bitPattern) == tiny[2].map(\.bitPattern), "\(t.testDescription), 3 threads")
            let (a, b, c0) = inputs(t, seed: 51)
            check(t, reference(t, a: a, b: b, c0: c0), result: tiny[1])
        }
    }

    @Test func standardBlockingThreadedProductIsBitwiseEqual() {
        // Just above the standard threshold for two threads (which differs between builds).
        let k = 2 * GEMMBlocking.standard.multiplyAddsPerThread / (256 * 256) + 8
        let t = Case(transposeA: false, transposeB: true, m: 256, n: 250, k: k)
        let c = results(t, threads: [1, 2], blocking: .standard)
        #expect(c[0].map(\.bitPattern) == c[1].map(\.bitPattern))
    }
}

/// The standard row block depends on the machine's L2, so it must never change a result.
@Suite struct GEMMRowBlockTests {
    @Test func cacheSizesParseInBinaryUnits() {
        #expect(parseCacheSize("512K") == 512 << 10)
        #expect(parseCacheSize("1M") == 1 << 20)
        #expect(parseCacheSize("2G") == 2 << 30)
        #expect(parseCacheSize("32768") == 32768)
        for malformed in ["", "K", "0K", "-1K", "12Q", "1.5M", "9223372036854775807K"] {
            #expect(parseCacheSize(malformed) == nil, "\(malformed)")
        }
    }

    @Test func rowBlockFollowsTheLevel2Size() {
        let sizes: [Int?] = [256 << 10, 512 << 10, (1 << 20) - 1, 1 << 20, 2 << 20, nil]
        let rows = sizes.map { GEMMBlocking.rowsPerBlock(level2Bytes: $0) }
        if KernelSet.compiled == .baseline {
            #expect(rows == [24, 24, 24, 96, 96, 96])
        } else {
            #expect(rows == [240, 240, 240, 240, 240, 240])
        }
        #expect(GEMMBlocking.standard.mc == GEMMBlocking.rowsPerBlock(level2Bytes: CacheSize.level2Bytes))
    }

#if os(Linux)
    /// Where sysfs lists the L2, the query (glibc's sysconf first) agrees with it.
    @Test func level2QueryAgreesWithSysfs() throws {
        let listed = try #require(sysfsLevel2Bytes(), "no L2 in /sys/devices/system/cpu/cpu0/cache")
        #expect(CacheSize.level2Bytes == listed)
    }
#endif

    /// mc splits rows, never the k sum: blocks of 13, 24, 96 and 240 rows give the same bits, on
    /// the packed path with k across two kc blocks, for all four transposes.
    @Test func rowBlockDoesNotChangeBits() {
        let blockings = [13, 24, 96, 240].map {
            GEMMBlocking(mc: $0, kc: GEMMBlocking.standard.kc, nc: GEMMBlocking.standard.nc,
                         multiplyAddsPerThread: 1 << 40, directMultiplyAdds: 0)
        }
        for (ta, tb) in transposes {
            let t = Case(transposeA: ta, transposeB: tb, m: 250, n: 37, k: GEMMBlocking.standard.kc + 45)
            let (a, b, c0) = inputs(t, seed: 61)
            let results = blockings.map { blocking in
                var c = c0
                run(t, a: a, b: b, c: &c, blocking: blocking)
                return c
            }
            for (blocking, result) in zip(blockings.dropFirst(), results.dropFirst()) {
                #expect(result.map(\.bitPattern) == results[0].map(\.bitPattern),
                        "\(t.testDescription), mc = \(blocking.mc) against 13")
            }
            check(t, reference(t, a: a, b: b, c0: c0), result: results[1], "mc = 24")
        }
    }
}
