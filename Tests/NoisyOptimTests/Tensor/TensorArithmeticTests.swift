import Foundation
import Testing
@testable import NoisyOptim

/// The naive twin of broadcasting: index arithmetic per element, no SIMD, no merging of dims.
func naiveBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let shape = Tensor.broadcastShape(a.shape, b.shape)
    let count = shape.reduce(1, *)
    func source(_ t: Tensor, _ index: [Int]) -> Float {
        let pad = shape.count - t.rank
        var offset = 0
        for d in 0..<t.rank {
            let i = t.shape[d] == 1 ? 0 : index[d + pad]
            offset = offset * t.shape[d] + i
        }
        return t.scalars[offset]
    }
    var out = [Float]()
    for flat in 0..<count {
        var index = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = rest % shape[d]; rest /= shape[d] }
        out.append(f(source(a, index), source(b, index)))
    }
    return Tensor(shape: shape, scalars: out)
}

@Suite struct TensorArithmeticTests {
    static let shapePairs: [([Int], [Int])] = [
        ([0], [0]), ([1], [1]), ([7], [7]), ([9], [1]), ([1], [65]), ([63], []), ([], [64]),
        ([3, 17], [17]), ([3, 17], [3, 1]), ([5, 1], [1, 9]), ([2, 3, 4], [3, 1]),
        ([2, 1, 4], [3, 4]), ([4, 1, 3, 1], [2, 1, 5]), ([1023], [1023]), ([2, 0, 3], [3]),
    ]

    @Test(arguments: shapePairs)
    func binaryOpsMatchNaiveBroadcasting(lhsShape: [Int], rhsShape: [Int]) {
        var g = TestGenerator(seed: 42)
        let a = Tensor(shape: lhsShape, scalars: g.floats(lhsShape.reduce(1, *)))
        // Keep divisors away from 0 so the comparison is about indexing, not conditioning.
        let b = Tensor(shape: rhsShape, scalars: g.floats(rhsShape.reduce(1, *)).map { $0 + ($0 < 0 ? -0.5 : 0.5) })
        // The SIMD kernels perform the same single IEEE operation per element: exact equality.
        #expect(a + b == naiveBroadcast(a, b, +))
        #expect(a - b == naiveBroadcast(a, b, -))
        #expect(a * b == naiveBroadcast(a, b, *))
        #expect(a / b == naiveBroadcast(a, b, /))
        #expect(maximum(a, b) == naiveBroadcast(a, b) { Swift.max($0, $1) })
        #expect(minimum(a, b) == naiveBroadcast(a, b) { Swift.min($0, $1) })
    }

    @Test func scalarOperands() {
        let x = Tensor([1, 2, 3])
        #expect((x + 1).scalars == [2, 3, 4])
        #expect((10 - x).scalars == [9, 8, 7])
        #expect((x * 2).scalars == [2, 4, 6])
        #expect((6 / x).scalars == [6, 3, 2])
        #expect((-x).scalars == [-1, -2, -3])
    }

    @Test func compoundAssignmentBroadcastsIntoSelf() {
        var m = Tensor(shape: [2, 3], repeating: 1)
        m += Tensor([1, 2, 3])
        #expect(m.scalars == [2, 3, 4, 2, 3, 4])
        m -= Tensor(shape: [2, 1], scalars: [1, 2])
        #expect(m.scalars == [1, 2, 3, 0, 1, 2])
        // A right side that would grow the shape gives the broadcast result, as `m = m + r`.
        var v = Tensor([1, 2])
        v += Tensor(shape: [2, 1], scalars: [10, 20])
        #expect(v.shape == [2, 2])
        #expect(v.scalars == [11, 12, 21, 22])
    }

    @Test func elementwiseFunctionsOnEdgeValues() {
        let x = Tensor([-2, -0.0, 0, 3, .nan])
        #expect(abs(x).scalars.prefix(4) == [2, 0, 0, 3])
        #expect(relu(x).scalars.prefix(4) == [0, -0.0, 0, 3])
        #expect(relu(x).scalars[4].isNaN, "ReLU keeps NaN visible")
        #expect(sign(x).scalars.prefix(4) == [-1, 0, 0, 1])
        #expect(square(Tensor([-3, 0.5])).scalars == [9, 0.25])
        #expect(sqrt(Tensor([4, 2, 0])).scalars == [2, Float(2).squareRoot(), 0])
        #expect(sqrt(Tensor([-1])).scalars[0].isNaN)
        #expect(reluDerivative(Tensor([-1, 0, 2])).scalars == [0, 0, 1])
    }
}

/// Accuracy of the SIMD transcendental functions against Double-precision Foundation.
@Suite struct SIMDMathTests {
    /// ULP distance measured in units of the Float spacing at the reference value.
    static func ulpError(_ actual: Float, _ reference: Double) -> Double {
        let r = Float(reference)
        if r.isInfinite || actual.isInfinite { return actual == r ? 0 : .infinity }
        return abs(Double(actual) - reference) / Double(r.ulp == 0 ? Float.leastNonzeroMagnitude : r.ulp)
    }

    static func grid(_ lower: Float, _ upper: Float, _ count: Int) -> [Float] {
        (0..<count).map { lower + (upper - lower) * Float($0) / Float(count - 1) }
    }

    @Test func expWithinTwoULP() {
        let xs = Self.grid(-87, 88.5, 20_001) + [0, -0.0, 1e-8, -1e-8]
        let ys = exp(Tensor(xs)).scalars
        let worst = zip(xs, ys).map { Self.ulpError($1, Foundation.exp(Double($0))) }.max()!
        // The contract in SIMDMath.exp's documentation.
        #expect(worst <= 2, "exp worst error \(worst) ULP")
    }

    @Test func expEdges() {
        let ys = exp(Tensor([-100, 100, .infinity, -.infinity, .nan])).scalars
        #expect(ys[0] == 0 && ys[1] == .infinity && ys[2] == .infinity && ys[3] == 0 && ys[4].isNaN)
    }

    @Test func logWithinTwoULP() {
        var xs = Self.grid(1e-3, 100, 20_001)
        xs += [Float.leastNormalMagnitude, Float.leastNonzeroMagnitude, 1e-30, 0.7071, 1.4142, 1, 2, Float.greatestFiniteMagnitude]
        let ys = log(Tensor(xs)).scalars
        let worst = zip(xs, ys).map { Self.ulpError($1, Foundation.log(Double($0))) }.max()!
        #expect(worst <= 2, "log worst error \(worst) ULP")
        let edges = log(Tensor([0, -1, .infinity, .nan])).scalars
        #expect(edges[0] == -.infinity && edges[1].isNaN && edges[2] == .infinity && edges[3].isNaN)
    }

    @Test func tanhAndSigmoidRelativeError() {
        let xs = Self.grid(-12, 12, 24_001) + [1e-6, -1e-6, 0.1249, 0.1251]
        let t = tanh(Tensor(xs)).scalars
        let s = sigmoid(Tensor(xs)).scalars
        var worstTanh = 0.0, worstSigmoid = 0.0
        for (i, x) in xs.enumerated() {
            let rt = Foundation.tanh(Double(x)), rs = 1 / (1 + Foundation.exp(-Double(x)))
            if rt != 0 { worstTanh = Swift.max(worstTanh, abs(Double(t[i]) - rt) / abs(rt)) }
            worstSigmoid = Swift.max(worstSigmoid, abs(Double(s[i]) - rs) / rs)
        }
        // tanh's documented contract is 1e-6 relative; sigmoid inherits exp's accuracy plus
        // one add and one divide, a few ULP (~1e-6 relative is a safe bound).
        #expect(worstTanh <= 1e-6, "tanh worst relative error \(worstTanh)")
        #expect(worstSigmoid <= 1e-6, "sigmoid worst relative error \(worstSigmoid)")
        #expect(tanh(Tensor([0, 20, -20])).scalars == [0, 1, -1])
    }

    /// The contract in SIMDMath.tanh's documentation: 3 ULP against Foundation's Double tanh, on a
    /// grid through the polynomial-only range (n = 0), every n up to the clamp at 9, tiny values
    /// and subnormals; and the edges.
    @Test func tanhWithinThreeULP() {
        var xs = Self.grid(-10, 10, 40_001) + Self.grid(-0.4, 0.4, 8_001)
        xs += [1e-3, 1e-6, 1e-20, Float.leastNormalMagnitude, Float.leastNonzeroMagnitude, 8.99, 9, 9.01].flatMap { [$0, -$0] }
        let ys = tanh(Tensor(xs)).scalars
        let worst = zip(xs, ys).map { Self.ulpError($1, Foundation.tanh(Double($0))) }.max()!
        #expect(worst <= 3, "tanh worst error \(worst) ULP")
        let edges = tanh(Tensor([-0.0, .infinity, -.infinity, .nan, 1e30, -1e30])).scalars
        #expect(edges[0] == 0 && edges[0].sign == .minus, "tanh(−0) is −0")
        #expect(edges[1] == 1 && edges[2] == -1 && edges[3].isNaN && edges[4] == 1 && edges[5] == -1)
    }
}
