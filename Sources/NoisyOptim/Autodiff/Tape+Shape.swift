// Tape+Shape: reshaping (free: the node points at its input's scalars) and gathering rows
// (a mini-batch; the pullback scatters the gradient back, adding where rows repeat).

extension Tape {
    func recordReshape(_ x: Variable, to newShape: [Int]) -> Variable {
        let i = index(of: x, "reshaped")
        let node = nodes[i]
        var resolved = TapeShape(rank: newShape.count)
        var inferred = -1, known = 1
        for (d, size) in newShape.enumerated() {
            if size == -1 {
                check(inferred < 0, "reshaped(to: \(newShape)): at most one size may be -1")
                inferred = d
            } else {
                check(size >= 0, "reshaped(to: \(newShape)): sizes must be non-negative")
                resolved[d] = size
                known *= size
            }
        }
        if inferred >= 0 {
            check(known > 0 && node.count % known == 0, "cannot reshape \(node.shape.array) (\(node.count) scalars) to \(newShape)")
            resolved[inferred] = node.count / known
        }
        check(resolved.count == node.count, "cannot reshape \(node.shape.array) (\(node.count) scalars) to \(newShape)")
        // The same scalars in the same order: share them instead of copying.
        return append(.reshape(i), shape: resolved, value: node.value, requiresGradient: node.requiresGradient)
    }

    /// ∂ reshape: the gradient, read in the input's shape.
    func pullbackReshape(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int) {
        guard nodes[x].requiresGradient else { return }
        let (gx, accumulate) = gradientSlot(x)
        Kernels.zip(FirstKernel.self, g, aStride: 1, g, bStride: 1, gx, count: node.count, accumulate: accumulate)
    }

    /// Records the rows `indices` of `x` (indices of its first dimension, repeats allowed).
    func recordGatherRows<Indices: Collection<Int>>(_ x: Variable, _ indices: Indices) -> Variable {
        let i = index(of: x, "gatheringRows")
        let node = nodes[i]
        check(node.shape.rank >= 1, "gatheringRows needs rank ≥ 1, shape is \(node.shape.array)")
        let rows = node.shape[0]
        var width = 1
        for d in 1..<node.shape.rank { width *= node.shape[d] }
        let start = integers.count
        var shape = node.shape
        shape[0] = indices.count
        let out = allocate(indices.count * width)
        for (k, row) in indices.enumerated() {
            check(row >= 0 && row < rows, "gatheringRows: row index \(row) out of range for shape \(node.shape.array)")
            (out + k * width).update(from: node.value + row * width, count: width)
            integers.append(row)
        }
        return append(.gatherRows(i, indicesStart: start), shape: shape, value: out, requiresGradient: node.requiresGradient)
    }

    /// ∂ gather: each gradient row added to the row it was read from (serially, as rows repeat).
    func pullbackGatherRows(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, indicesStart: Int) {
        guard nodes[x].requiresGradient else { return }
        let rows = node.shape[0]
        var width = 1
        for d in 1..<node.shape.rank { width *= node.shape[d] }
        let (gx, accumulate) = gradientSlot(x)
        if !accumulate { gx.update(repeating: 0, count: nodes[x].count) }
        integers.withUnsafeBufferPointer { indices in
            for k in 0..<rows {
                let row = indices[indicesStart + k]
                Kernels.zipAccumulatingRange(FirstKernel.self, g + k * width, aStride: 1, g, bStride: 0,
                                             gx + row * width, range: 0..<width)
            }
        }
    }
}

extension Variable {
    /// The same scalars under a new shape (one size may be −1 and is inferred). Copies nothing;
    /// the pullback reads the gradient back in the original shape.
    public func reshaped(to shape: [Int]) -> Variable { tape.recordReshape(self, to: shape) }

    /// The scalars as a rank-1 variable.
    public func flattened() -> Variable { tape.recordReshape(self, to: [-1]) }

    /// The rows at `indices` (of the first dimension), in that order, repeats allowed: a
    /// mini-batch. The pullback adds each gradient row into the row it came from.
    public func gatheringRows(_ indices: [Int]) -> Variable { tape.recordGatherRows(self, indices) }
}
