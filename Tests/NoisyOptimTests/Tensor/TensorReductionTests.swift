import Foundation
import Testing
@testable import NoisyOptim

@Suite(.serialized) struct TensorReductionTests {
    static let sizes = [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023, 16_385, 100_003]

    @Test(arguments: sizes)
    func sumAndNormsMatchDoubleLoops(count: Int) {
        var g = TestGenerator(seed: UInt64(count))
        let values = g.floats(count)
        let x = Tensor(values)
        let exactSum = values.reduce(0.0) { $0 + Double($1) }
        let exactSquares = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        let exactAbs = values.reduce(0.0) { $0 + Double(abs($1)) }
        // Blocked Float accumulation: error ≤ (block/64 + a few)·ε·Σ|x| with block = 16384,
        // well under 1e-4·Σ|x|; the bound is relative to Σ|x| since the plain sum may cancel.
        let tolerance = 1e-4 * Float(exactAbs) + 1e-6
        expectClose(x.sum(), Float(exactSum), absoluteTolerance: tolerance)
        expectClose(x.squaredNorm(), Float(exactSquares), absoluteTolerance: 1e-4 * Float(exactSquares) + 1e-6)
        expectClose(x.l1Norm(), Float(exactAbs), absoluteTolerance: tolerance)
        if count > 0 {
            expectClose(x.mean(), Float(exactSum / Double(count)), absoluteTolerance: tolerance / Float(count))
            #expect(x.max() == values.max()!)
            #expect(x.argmax() == values.firstIndex(of: values.max()!)!)
            #expect(x.maxAbs() == values.map { abs($0) }.max()!)
        }
    }

    @Test func sumIsIdenticalForOneAndTwoThreads() {
        var g = TestGenerator(seed: 7)
        let x = Tensor(g.floats(1 << 20))
        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        Parallelism.maximumThreadCount = 1
        let one = (x.sum(), x.squaredNorm(), x.sum(alongAxis: 0))
        Parallelism.maximumThreadCount = 2
        let two = (x.sum(), x.squaredNorm(), x.sum(alongAxis: 0))
        #expect(one.0.bitPattern == two.0.bitPattern)
        #expect(one.1.bitPattern == two.1.bitPattern)
        #expect(one.2 == two.2)
    }

    @Test func maxPropagatesNaNAndArgmaxFindsFirst() {
        #expect(Tensor([1, .nan, 3]).max().isNaN)
        #expect(Tensor([1, .nan, 3, .nan]).argmax() == 1)
        #expect(Tensor([5, 9, 9, 2]).argmax() == 1)
        var values = [Float](repeating: -1, count: 40)
        values[37] = 4
        values[39] = 4
        #expect(Tensor(values).argmax() == 37)
    }

    @Test(arguments: [(3, 5), (1, 1), (7, 17), (17, 7), (2, 65)])
    func reductionsAlongAxesMatchLoops(rows: Int, columns: Int) {
        var g = TestGenerator(seed: UInt64(rows * 31 + columns))
        let x = Tensor(shape: [rows, columns], scalars: g.floats(rows * columns))
        var rowSums = [Float](), rowMax = [Float](), rowArg = [Int]()
        for i in 0..<rows {
            let row = (0..<columns).map { x[i, $0] }
            rowSums.append(row.reduce(0, +)); rowMax.append(row.max()!); rowArg.append(row.firstIndex(of: row.max()!)!)
        }
        var colSums = [Float](), colMax = [Float](), colArg = [Int]()
        for j in 0..<columns {
            let col = (0..<rows).map { x[$0, j] }
            colSums.append(col.reduce(0, +)); colMax.append(col.max()!); colArg.append(col.firstIndex(of: col.max()!)!)
        }
        // Sums of ≤ 17 values in [-1, 1): a few ULP of 17, far below 1e-5.
        expectClose(x.sum(alongAxis: 1).scalars, rowSums, absoluteTolerance: 1e-5)
        expectClose(x.sum(alongAxis: 0).scalars, colSums, absoluteTolerance: 1e-5)
        expectClose(x.mean(alongAxis: -1).scalars, rowSums.map { $0 / Float(columns) }, absoluteTolerance: 1e-6)
        #expect(x.max(alongAxis: 1).scalars == rowMax)
        #expect(x.max(alongAxis: 0).scalars == colMax)
        #expect(x.argmax(alongAxis: 1) == rowArg)
        #expect(x.argmax(alongAxis: 0) == colArg)
        #expect(x.sum(alongAxis: 0, keepingDimension: true).shape == [1, columns])
    }

    @Test func sumToShapeIsTheAdjointOfBroadcasting() {
        let g = Tensor(shape: [3, 2], repeating: 2)
        #expect(g.sum(toShape: [3, 1]).scalars == [4, 4, 4])
        #expect(g.sum(toShape: [2]).scalars == [6, 6])
        #expect(g.sum(toShape: []).scalars == [12])
        let g3 = Tensor(shape: [2, 3, 4], repeating: 1)
        #expect(g3.sum(toShape: [3, 1]).scalars == [8, 8, 8])
    }

    @Test func softmaxRowsSumToOneAndLogSoftmaxMatches() {
        var g = TestGenerator(seed: 3)
        for width in [1, 7, 16, 17, 40] {
            let x = Tensor(shape: [3, width], scalars: g.floats(3 * width).map { $0 * 30 })
            let p = x.softmax()
            let lp = x.logSoftmax()
            for r in 0..<3 {
                let row = (0..<width).map { Double(x[r, $0]) }
                let m = row.max()!
                let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
                // Float32 log-softmax of inputs up to 30: a few ULP of 30 ≈ 1e-5.
                expectClose((0..<width).map { lp[r, $0] }, row.map { Float($0 - lse) }, absoluteTolerance: 2e-5)
                expectClose((0..<width).map { p[r, $0] }, row.map { Float(Foundation.exp($0 - lse)) }, absoluteTolerance: 1e-6, relativeTolerance: 1e-5)
            }
        }
        // Large logits must not overflow.
        let big = Tensor([[1000, 0]]).logSoftmax().scalars
        #expect(big[0] == 0 && big[1] == -1000)
    }
}
