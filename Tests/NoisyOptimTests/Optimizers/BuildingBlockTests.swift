import Testing
@testable import NoisyOptim

/// The public building blocks of outside transforms against naive loops at awkward sizes, and the
/// keyed noise against its definition.
@Suite struct BuildingBlockTests {
    static let sizes = [0, 1, 7, 15, 16, 17, 63, 64, 65, 1023]

    /// Runs `kernel` on copies of (y, x) and `naive` element by element; the SIMD loop and the
    /// scalar loop do the same Float operations, so the results agree exactly except where a
    /// square root is involved (√ is correctly rounded in both: still exact).
    private func expectMatches(_ size: Int, _ name: String,
                               _ kernel: (UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void,
                               _ naive: (Float, Float) -> Float) {
        var random = TestGenerator(seed: UInt64(size) + 1)
        var y = random.floats(size), x = random.floats(size).map { abs($0) + 0.5 }
        let expected = zip(y, x).map { naive($0, $1) }
        y.withUnsafeMutableBufferPointer { yb in x.withUnsafeMutableBufferPointer { xb in kernel(yb, UnsafeBufferPointer(xb)) } }
        #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(name) at size \(size)")
    }

    @Test(arguments: sizes)
    func blockMathMatchesNaiveLoops(size: Int) {
        expectMatches(size, "add", { BlockMath.add($1, scaledBy: 0.3, to: $0) }) { y, x in y + 0.3 * x }
        expectMatches(size, "scale", { y, _ in BlockMath.scale(y, by: -1.5) }) { y, _ in y * -1.5 }
        expectMatches(size, "multiply", { BlockMath.multiply($0, by: $1) }) { y, x in y * x }
        expectMatches(size, "blend", { BlockMath.blend($0, keeping: 0.9, adding: $1, scaledBy: 0.1) }) { y, x in 0.9 * y + 0.1 * x }
        expectMatches(size, "addSquares", { BlockMath.addSquares(of: $1, scaledBy: 2, to: $0) }) { y, x in y + 2 * (x * x) }
        expectMatches(size, "divide", { BlockMath.divide($0, bySquareRootOf: $1, plus: 1e-3) }) { y, x in y / (x.squareRoot() + 1e-3) }
        expectMatches(size, "squareRoot", { y, _ in BlockMath.squareRoot(y) }) { y, _ in abs(y).squareRoot() }
    }

    @Test func noiseStreamIsKeyedByPositionAcrossBlockBoundaries() {
        // Any cut of positions 0..<5000 (crossing the 2048-position keyed blocks) gives the values
        // of one fill of the whole range, and they are the stream's documented definition.
        let stream = NoiseStream(seed: 17)
        var whole = [Float](repeating: 0, count: 5_000)
        whole.withUnsafeMutableBufferPointer { stream.fillNormal($0, step: 3, position: 0) }
        for cut in [4, 1024, 2044, 2048, 4096] {
            var tail = [Float](repeating: 0, count: 5_000 - cut)
            tail.withUnsafeMutableBufferPointer { stream.fillNormal($0, step: 3, position: cut) }
            #expect(tail == Array(whole[cut...]), "cut at \(cut)")
        }
        var generator = RandomStream.generator(stepKey: stream.stepKey(3), block: 1)
        #expect(generator.normalFloats(count: 8) == Array(whole[2048..<2056]))
        var added = [Float](repeating: 1, count: 100)
        added.withUnsafeMutableBufferPointer { stream.addNormal(to: $0, standardDeviation: 0.5, step: 3, position: 2000) }
        #expect(added == whole[2000..<2100].map { 1 + 0.5 * $0 })
        var otherStep = [Float](repeating: 0, count: 8)
        otherStep.withUnsafeMutableBufferPointer { stream.fillNormal($0, step: 4, position: 0) }
        #expect(otherStep != Array(whole[0..<8]))
    }
}
