// Tensor+Reduction: sums, means, maxima, norms, over everything or along one axis.

extension Tensor {
    /// Σ of all scalars; deterministic whatever the thread count.
    public func sum() -> Float {
        withUnsafeBufferPointer { Float(Kernels.sum(IdentityKernel.self, $0.baseAddress!, count: count)) }
    }

    /// The mean of all scalars (NaN for an empty tensor).
    public func mean() -> Float {
        withUnsafeBufferPointer { Float(Kernels.sum(IdentityKernel.self, $0.baseAddress!, count: count) / Double(count)) }
    }

    /// The largest scalar; NaN if any is NaN. Stops on an empty tensor.
    public func max() -> Float {
        check(count > 0, "max of an empty tensor of shape \(shape)")
        return withUnsafeBufferPointer { Kernels.maximum($0.baseAddress!, count: count) }
    }

    /// The row-major position of the first largest scalar. Stops on an empty tensor.
    public func argmax() -> Int {
        check(count > 0, "argmax of an empty tensor of shape \(shape)")
        return withUnsafeBufferPointer { Kernels.argmax($0.baseAddress!, count: count)! }
    }

    /// ‖x‖₂² = Σ xᵢ², accumulated in Double across blocks.
    public func squaredNorm() -> Float {
        withUnsafeBufferPointer { Float(Kernels.sum(SquareKernel.self, $0.baseAddress!, count: count)) }
    }

    /// ‖x‖₂ = (Σ xᵢ²)^½.
    public func norm() -> Float {
        withUnsafeBufferPointer { Float(Kernels.sum(SquareKernel.self, $0.baseAddress!, count: count).squareRoot()) }
    }

    /// ‖x‖₁ = Σ |xᵢ|.
    public func l1Norm() -> Float {
        withUnsafeBufferPointer { Float(Kernels.sum(AbsKernel.self, $0.baseAddress!, count: count)) }
    }

    /// ‖x‖∞ = max |xᵢ| (0 for an empty tensor; NaN if any scalar is NaN).
    public func maxAbs() -> Float {
        count == 0 ? 0 : abs(self).max()
    }

    // MARK: Along an axis

    /// Splits the shape around `axis` into (outer, axis, inner) counts, after checking the axis.
    func split(around axis: Int) -> (outer: Int, length: Int, inner: Int, axis: Int) {
        let a = axis < 0 ? axis + rank : axis
        check(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *), a)
    }

    func reducedShape(_ axis: Int, keepingDimension: Bool) -> [Int] {
        var result = shape
        if keepingDimension { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }

    /// Sums along `axis` (negative counts from the end); the axis is removed, or kept with size 1.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, length, inner, a) = split(around: axis)
        let result = Tensor(shape: reducedShape(a, keepingDimension: keepingDimension), repeating: 0)
        let out = result.storage.pointer
        withUnsafeBufferPointer { buffer in
            let x = buffer.baseAddress!
            if inner == 1 {
                Parallel.forEachChunk(count: outer, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(length, 1))) { rows in
                    for o in rows { out[o] = Float(Kernels.sum(IdentityKernel.self, x + o * length, count: length)) }
                }
            } else {
                // Add whole rows of `inner` scalars: vectorized across the kept dimension.
                for o in 0..<outer {
                    for i in 0..<length {
                        Kernels.zip(AddKernel.self, out + o * inner, aStride: 1, x + (o * length + i) * inner, bStride: 1,
                                    out + o * inner, count: inner)
                    }
                }
            }
        }
        return result
    }

    /// Means along `axis`.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let length = split(around: axis).length
        return sum(alongAxis: axis, keepingDimension: keepingDimension) / Float(length)
    }

    /// Maxima along `axis` (NaN where any compared scalar is NaN). The axis must not be empty.
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, length, inner, a) = split(around: axis)
        check(length > 0, "max along an empty axis \(axis) of shape \(shape)")
        let result = Tensor(uninitializedShape: reducedShape(a, keepingDimension: keepingDimension))
        let out = result.storage.pointer
        withUnsafeBufferPointer { buffer in
            let x = buffer.baseAddress!
            for o in 0..<outer {
                if inner == 1 {
                    out[o] = Kernels.maximum(x + o * length, count: length)
                } else {
                    (out + o * inner).update(from: x + o * length * inner, count: inner)
                    for i in 1..<length {
                        Kernels.zip(MaximumKernel.self, out + o * inner, aStride: 1, x + (o * length + i) * inner, bStride: 1,
                                    out + o * inner, count: inner)
                    }
                }
            }
        }
        return result
    }

    /// Positions of the first maxima along `axis`, in the row-major order of the remaining axes
    /// (for a matrix and axis 1: the predicted class of each row).
    public func argmax(alongAxis axis: Int) -> [Int] {
        let (outer, length, inner, _) = split(around: axis)
        check(length > 0, "argmax along an empty axis \(axis) of shape \(shape)")
        var result = [Int](repeating: 0, count: outer * inner)
        withUnsafeBufferPointer { buffer in
            let x = buffer.baseAddress!
            for o in 0..<outer {
                if inner == 1 {
                    result[o] = Kernels.argmax(x + o * length, count: length)!
                } else {
                    for j in 0..<inner {
                        var best = x[o * length * inner + j], bestIndex = 0
                        for i in 1..<length where !best.isNaN {
                            let v = x[(o * length + i) * inner + j]
                            if v > best || v.isNaN { best = v; bestIndex = i }
                        }
                        result[o * inner + j] = bestIndex
                    }
                }
            }
        }
        return result
    }

    /// Sums the broadcast dimensions of `self` away so the result has `shape`: the adjoint of
    /// broadcasting `shape` up to `self.shape` (used by the gradients of broadcasting ops).
    public func sum(toShape target: [Int]) -> Tensor {
        if target == shape { return self }
        check(Tensor.broadcastShape(target, shape) == shape, "shape \(shape) does not reduce to \(target) by summing broadcast dimensions")
        var result = self
        // Leading dimensions the target does not have at all.
        while result.rank > target.count { result = result.sum(alongAxis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && result.shape[axis] != 1 {
            result = result.sum(alongAxis: axis, keepingDimension: true)
        }
        return result.reshaped(to: target)
    }
}
