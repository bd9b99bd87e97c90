// Tensor+Shape: reshaping, transposing, and selecting rows.

extension Tensor {
    /// The same scalars under a new shape; one size may be −1 and is then inferred.
    /// Shares storage with `self` (copy-on-write keeps both independent).
    public func reshaped(to newShape: [Int]) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        check(inferred.count <= 1, "reshape to \(newShape): at most one size may be -1")
        if let i = inferred.first {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element)
            check(known.allSatisfy { $0 >= 0 }, "reshape to \(newShape): sizes must be non-negative")
            let product = Tensor.checkedElementCount(of: known) ?? 0 // 0 when it overflows: no fit either way
            check(product > 0 && count % product == 0, "cannot reshape \(shape) (\(count) scalars) to \(newShape)")
            resolved[i] = count / product
        }
        check(Tensor.elementCount(of: resolved) == count, "cannot reshape \(shape) (\(count) scalars) to \(newShape)")
        return Tensor(shape: resolved, storage: storage)
    }

    /// The scalars as a rank-1 tensor.
    public func flattened() -> Tensor { reshaped(to: [count]) }

    /// The transpose of a matrix.
    public func transposed() -> Tensor {
        check(rank == 2, "transposed() needs a matrix, shape is \(shape)")
        let rows = shape[0], columns = shape[1]
        let result = Tensor(uninitializedShape: [columns, rows])
        let out = result.storage.pointer
        withUnsafeBufferPointer { buffer in
            let x = buffer.baseAddress!
            // 32×32 tiles keep both the rows read and the rows written in L1.
            let tile = 32
            for i0 in stride(from: 0, to: rows, by: tile) {
                for j0 in stride(from: 0, to: columns, by: tile) {
                    for i in i0..<Swift.min(i0 + tile, rows) {
                        for j in j0..<Swift.min(j0 + tile, columns) {
                            out[j * rows + i] = x[i * columns + j]
                        }
                    }
                }
            }
        }
        return result
    }

    /// The number of scalars in one row (one index of the first dimension).
    var rowWidth: Int { rank == 0 ? 1 : shape.dropFirst().reduce(1, *) }

    /// The rows (indices of the first dimension) in `range`, copied.
    public func rows(_ range: Range<Int>) -> Tensor {
        check(rank >= 1, "rows(_:) needs rank ≥ 1, shape is \(shape)")
        check(range.lowerBound >= 0 && range.upperBound <= shape[0], "rows \(range) out of range for shape \(shape)")
        var newShape = shape
        newShape[0] = range.count
        let width = rowWidth
        let result = Tensor(uninitializedShape: newShape)
        withUnsafeBufferPointer { x in
            result.storage.pointer.update(from: x.baseAddress! + range.lowerBound * width, count: range.count * width)
        }
        return result
    }

    /// The rows at `indices`, in that order (repeats allowed): a mini-batch from a data set.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        check(rank >= 1, "gatheringRows(_:) needs rank ≥ 1, shape is \(shape)")
        var newShape = shape
        newShape[0] = indices.count
        let width = rowWidth
        let result = Tensor(uninitializedShape: newShape)
        let out = result.storage.pointer
        withUnsafeBufferPointer { x in
            for (k, row) in indices.enumerated() {
                check(row >= 0 && row < shape[0], "row index \(row) out of range for shape \(shape)")
                (out + k * width).update(from: x.baseAddress! + row * width, count: width)
            }
        }
        return result
    }

    /// The tensors stacked along the first dimension; all other dimensions must agree.
    public init(concatenatingRows parts: [Tensor]) {
        check(!parts.isEmpty, "concatenating no tensors")
        let tail = Array(parts[0].shape.dropFirst())
        for part in parts {
            check(part.rank >= 1 && Array(part.shape.dropFirst()) == tail,
                         "cannot concatenate rows of shapes \(parts[0].shape) and \(part.shape)")
        }
        self.init(uninitializedShape: [parts.reduce(0) { $0 + $1.shape[0] }] + tail)
        var offset = 0
        for part in parts {
            part.withUnsafeBufferPointer { storage.pointer.advanced(by: offset).update(from: $0.baseAddress!, count: part.count) }
            offset += part.count
        }
    }
}
