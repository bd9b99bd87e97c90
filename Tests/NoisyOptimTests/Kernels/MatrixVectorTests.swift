import Testing
@testable import NoisyOptim

// The matrix-vector path of gemm (C of one column or one row) against a naive Double loop, and
// bitwise against the tiled path it replaces: the same element taken from a product with more
// columns (or rows), which the tiled kernel computes. Tolerance as in GEMMTests:
// (k + 2)·2⁻²³·(|α|·Σ|aᵢbᵢ| + |β|·|c|), twice the worst-case rounding of any summation order.

private struct VectorCase: CustomTestStringConvertible {
    /// True: C is m×1 (n = 1); false: C is 1×n (m = 1).
    var column: Bool
    var transposeA: Bool, transposeB: Bool
    var length: Int, k: Int
    var alpha: Float = 1.25, beta: Float = -0.5
    /// Rows (column case) or columns (row case) of a wider product that contains this one.
    var width = 1

    var m: Int { column ? length : width }
    var n: Int { column ? width : length }
    var lda: Int { (transposeA ? m : k) + 3 }
    var ldb: Int { (transposeB ? k : n) + 2 }
    var ldc: Int { n + 1 }
    var testDescription: String {
        "\(column ? "column" : "row") \(transposeA ? "Aᵀ" : "A")·\(transposeB ? "Bᵀ" : "B") length \(length) k \(k) width \(width)"
    }

    func opA(_ a: [Float], _ i: Int, _ p: Int) -> Float { transposeA ? a[p * lda + i] : a[i * lda + p] }
    func opB(_ b: [Float], _ p: Int, _ j: Int) -> Float { transposeB ? b[j * ldb + p] : b[p * ldb + j] }
}

private let sentinel: Float = -777

/// Operands for the widest case; narrower cases read the same leading rows or columns.
private func operands(_ t: VectorCase, seed: UInt64) -> (a: [Float], b: [Float], c: [Float]) {
    var generator = TestGenerator(seed: seed)
    let a = generator.floats(max(1, (t.transposeA ? t.k : t.m) * t.lda))
    let b = generator.floats(max(1, (t.transposeB ? t.n : t.k) * t.ldb))
    var c = generator.floats(max(1, t.m * t.ldc))
    for i in 0..<t.m { c[i * t.ldc + t.n] = sentinel }
    return (a, b, c)
}

private func multiply(_ t: VectorCase, _ a: [Float], _ b: [Float], _ c: inout [Float], blocking: GEMMBlocking) {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                gemm(transposeA: t.transposeA, transposeB: t.transposeB, m: t.m, n: t.n, k: t.k, alpha: t.alpha,
                     a: a.baseAddress!, lda: t.lda, b: b.baseAddress!, ldb: t.ldb, beta: t.beta,
                     c: c.baseAddress!, ldc: t.ldc, blocking: blocking)
            }
        }
    }
}

/// A kc of 7 splits every depth above 7 into slices with a ragged last one.
private let shallowBlocking = GEMMBlocking(mc: 24, kc: 7, nc: 32, multiplyAddsPerThread: 1 << 30)

private let lengths = [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023]
private let depths = [1, 7, 9, 64, 257]

@Suite struct MatrixVectorTests {
    @Test(arguments: [true, false], [(false, false), (false, true), (true, false), (true, true)])
    func matchesNaiveLoopAtAwkwardSizes(column: Bool, transposes: (Bool, Bool)) {
        var seed: UInt64 = column ? 1 : 5000
        for length in lengths {
            for k in depths {
                seed += 1
                let t = VectorCase(column: column, transposeA: transposes.0, transposeB: transposes.1, length: length, k: k)
                let (a, b, c0) = operands(t, seed: seed)
                for blocking in [GEMMBlocking.standard, shallowBlocking] {
                    var c = c0
                    multiply(t, a, b, &c, blocking: blocking)
                    var worst = -Double.infinity, intact = true
                    for l in 0..<length {
                        let (i, j) = column ? (l, 0) : (0, l)
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let product = Double(t.opA(a, i, p)) * Double(t.opB(b, p, j))
                            sum += product
                            magnitude += abs(product)
                        }
                        let old = Double(c0[i * t.ldc + j])
                        let expected = Double(t.alpha) * sum + Double(t.beta) * old
                        let allowed = Double(k + 2) * Double(Float.ulpOfOne) * (abs(Double(t.alpha)) * magnitude + abs(Double(t.beta) * old)) + 1e-30
                        worst = max(worst, abs(Double(c[i * t.ldc + j]) - expected) - allowed)
                    }
                    for i in 0..<t.m where c[i * t.ldc + t.n] != sentinel { intact = false }
                    #expect(length == 0 || worst <= 0, "\(t.testDescription) kc \(blocking.kc): off by \(worst) beyond the bound")
                    #expect(intact, "\(t.testDescription): wrote past C's last column")
                }
            }
        }
    }

    /// The vector product equals, bit for bit, the same element computed by the tiled kernel as
    /// part of a product three columns (or rows) wide, for both kc slicings. The narrow product
    /// reads the wide one's arrays through the same leading dimensions.
    @Test(arguments: [true, false], [(false, false), (false, true), (true, false), (true, true)])
    func equalsTheTiledProductBitwise(column: Bool, transposes: (Bool, Bool)) {
        for (length, k) in [(2, 1), (9, 100), (17, 40), (65, 257), (1023, 9)] {
            let wide = VectorCase(column: column, transposeA: transposes.0, transposeB: transposes.1,
                                  length: length, k: k, width: 3)
            let (a, b, c0) = operands(wide, seed: UInt64(length * 1000 + k))
            for blocking in [GEMMBlocking.standard, shallowBlocking] {
                var cWide = c0
                multiply(wide, a, b, &cWide, blocking: blocking)
                // The first column (row) of the wide C, contiguous.
                var cNarrow = (0..<length).map { column ? c0[$0 * wide.ldc] : c0[$0] }
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        cNarrow.withUnsafeMutableBufferPointer { c in
                            gemm(transposeA: wide.transposeA, transposeB: wide.transposeB,
                                 m: column ? length : 1, n: column ? 1 : length, k: k, alpha: wide.alpha,
                                 a: a.baseAddress!, lda: wide.lda, b: b.baseAddress!, ldb: wide.ldb, beta: wide.beta,
                                 c: c.baseAddress!, ldc: column ? 1 : max(1, length), blocking: blocking)
                        }
                    }
                }
                let tiled = (0..<length).map { column ? cWide[$0 * wide.ldc] : cWide[$0] }
                #expect(cNarrow.map(\.bitPattern) == tiled.map(\.bitPattern), "\(wide.testDescription) kc \(blocking.kc)")
            }
        }
    }
}
