import Testing
@testable import NoisyOptim

/// The per-example kernels against naive loops at sizes around the 16-lane vector width.
/// Outer products and scaled copies exactly: each output is one product, computed by either loop
/// with the same rounding.
@Suite struct PerExampleKernelTests {
    @Test(arguments: [(1, 1), (3, 15), (2, 16), (4, 17), (3, 33), (5, 10), (1, 10), (7, 3), (2, 5), (0, 4), (2, 0)])
    func outerProductMatchesNaive(m: Int, k: Int) {
        var generator = TestGenerator(seed: UInt64(31 * m + k))
        let x = generator.floats(m), delta = generator.floats(k)
        var out = [Float](repeating: .nan, count: m * k + 1)
        out.withUnsafeMutableBufferPointer { Kernels.outerProduct(x, count: m, delta, count: k, $0.baseAddress!) }
        var expected: [Float] = []
        for j in 0..<m { for l in 0..<k { expected.append(x[j] * delta[l]) } }
        #expect(Array(out.prefix(m * k)) == expected)
        #expect(out[m * k].isNaN, "writes nothing past m·k")
    }

    @Test(arguments: [0, 1, 15, 16, 17, 40])
    func scaledCopyMatchesNaive(count: Int) {
        var generator = TestGenerator(seed: UInt64(count))
        let x = generator.floats(count)
        var out = [Float](repeating: .nan, count: count + 1)
        out.withUnsafeMutableBufferPointer { Kernels.scaledCopy(x, scale: -0.37, $0.baseAddress!, count: count) }
        #expect(Array(out.prefix(count)) == x.map { -0.37 * $0 })
        #expect(out[count].isNaN, "writes nothing past count")
    }

    /// Row norms against a Double sum: rtol 1e-6 (a Float sum of ≤ 40 positive terms in another
    /// order, a few ulp).
    @Test(arguments: [0, 1, 5, 15, 16, 17, 31, 32, 33, 40])
    func rowSquaredNormsMatchNaive(width: Int) {
        var generator = TestGenerator(seed: UInt64(width + 100))
        let rows = 3
        let x = generator.floats(rows * width)
        var out = [Float](repeating: .nan, count: rows + 1)
        out.withUnsafeMutableBufferPointer { Kernels.rowSquaredNorms(x, rows: rows, width: width, $0.baseAddress!) }
        let expected = (0..<rows).map { r in Float((0..<width).reduce(0.0) { $0 + Double(x[r * width + $1]) * Double(x[r * width + $1]) }) }
        expectClose(Array(out.prefix(rows)), expected, relativeTolerance: 1e-6)
        #expect(out[rows].isNaN, "writes nothing past the rows")
    }
}
