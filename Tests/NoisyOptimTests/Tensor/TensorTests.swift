import Foundation
import Testing
@testable import NoisyOptim

@Suite struct TensorValueSemanticsTests {
    @Test func copyNeverSeesALaterWrite() {
        var original = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let copy = original
        original[1, 2] = 60
        #expect(copy.scalars == [1, 2, 3, 4, 5, 6])
        #expect(original.scalars == [1, 2, 3, 4, 5, 60])
    }

    @Test func inPlaceOperatorDoesNotReachACopy() {
        var a = Tensor(shape: [4], repeating: 1)
        let kept = a
        a += Tensor(shape: [4], repeating: 2)
        a *= 3
        #expect(kept.scalars == [1, 1, 1, 1])
        #expect(a.scalars == [9, 9, 9, 9])
    }

    @Test func reshapeSharesUntilWritten() {
        var flat = Tensor((0..<6).map(Float.init))
        let matrix = flat.reshaped(to: [2, -1])
        #expect(matrix.shape == [2, 3])
        flat.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(matrix[0, 0] == 0)
    }

    @Test func uniqueBufferIsWrittenInPlace() {
        var a = Tensor(shape: [8], repeating: 0)
        let before = a.withUnsafeBufferPointer { $0.baseAddress }
        a += 1
        let after = a.withUnsafeBufferPointer { $0.baseAddress }
        #expect(before == after, "+= on an unshared tensor must not reallocate")
    }

    @Test func codableRoundTripIsExact() throws {
        let values: [Float] = [0, -0.0, 1e-38, 3.4028235e38, .pi, 1.0 / 3, -7.25e-9]
        let t = Tensor(shape: [7, 1], scalars: values)
        let decoded = try JSONDecoder().decode(Tensor.self, from: JSONEncoder().encode(t))
        #expect(decoded.shape == t.shape)
        #expect(decoded.scalars.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func decodingRejectsMismatchedCount() {
        let json = Data(#"{"shape":[2,2],"scalars":[1,2,3]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Tensor.self, from: json) }
    }
}

@Suite struct TensorCreationTests {
    @Test func constructors() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        #expect(Tensor.identity(2).scalars == [1, 0, 0, 1])
        #expect(Tensor([[1, 2], [3, 4]]).shape == [2, 2])
        #expect(Tensor(scalar: 5).shape == [])
        #expect(Tensor(scalar: 5).scalar == 5)
        #expect(Tensor.linearSpace(from: 0, through: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        #expect(Tensor.zeros([0, 3]).count == 0)
    }

    @Test func elementAccess() {
        var t = Tensor.zeros([2, 3, 4])
        t[1, 2, 3] = 7
        #expect(t.scalars[23] == 7)
        #expect(t[1, 2, 3] == 7)
    }
}

@Suite struct TensorShapeTests {
    @Test func transposeMatchesNaiveAtAwkwardSizes() {
        for (rows, columns) in [(0, 3), (1, 1), (7, 9), (33, 65), (64, 1)] {
            var g = TestGenerator(seed: UInt64(rows * 100 + columns))
            let x = Tensor(shape: [rows, columns], scalars: g.floats(rows * columns))
            let t = x.transposed()
            #expect(t.shape == [columns, rows])
            var ok = true
            for i in 0..<rows { for j in 0..<columns where t[j, i] != x[i, j] { ok = false } }
            #expect(ok, "transpose of \(rows)×\(columns)")
        }
    }

    @Test func rowsAndGather() {
        let x = Tensor(shape: [4, 2], scalars: [0, 1, 10, 11, 20, 21, 30, 31])
        #expect(x.rows(1..<3).scalars == [10, 11, 20, 21])
        #expect(x.gatheringRows([3, 0, 3]).scalars == [30, 31, 0, 1, 30, 31])
        #expect(x.gatheringRows([]).shape == [0, 2])
        let joined = Tensor(concatenatingRows: [x.rows(0..<1), x.rows(2..<4)])
        #expect(joined.scalars == [0, 1, 20, 21, 30, 31])
    }

    @Test func reshapeInfersOneSize() {
        let x = Tensor.zeros([2, 3, 4])
        #expect(x.reshaped(to: [-1, 4]).shape == [6, 4])
        #expect(x.flattened().shape == [24])
    }
}
