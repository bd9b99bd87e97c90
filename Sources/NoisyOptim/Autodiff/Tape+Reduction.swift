// Tape+Reduction: sums and means over everything or along one axis; their pullbacks broadcast
// the gradient back over what was summed.

extension Tape {
    /// Records scale·Σ x, a scalar (scale 1/n gives the mean). Accumulated like `Tensor.sum`.
    func recordSum(_ x: Variable, mean: Bool, _ name: StaticString) -> Variable {
        let i = index(of: x, name)
        let node = nodes[i]
        let total = Kernels.sum(IdentityKernel.self, node.value, count: node.count)
        let out = allocate(1)
        out.pointee = Float(mean ? total / Double(node.count) : total)
        let scale: Float = mean ? 1 / Float(node.count) : 1
        return append(.sum(i, scale: scale), shape: .scalar, value: out, requiresGradient: node.requiresGradient)
    }

    /// ∂(scale·Σ x) = scale·g in every position.
    func pullbackSum(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int, scale: Float) {
        guard nodes[x].requiresGradient else { return }
        let (gx, accumulate) = gradientSlot(x)
        withUnsafePointer(to: scale) { s in
            Kernels.zip(MultiplyKernel.self, g, aStride: 0, s, bStride: 0, gx, count: nodes[x].count, accumulate: accumulate)
        }
    }

    /// Records the sum (or mean) along `axis`, which is removed or kept with size 1.
    func recordSum(_ x: Variable, alongAxis axis: Int, keepingDimension: Bool, mean: Bool, _ name: StaticString) -> Variable {
        let i = index(of: x, name)
        let node = nodes[i]
        let rank = node.shape.rank
        let a = axis < 0 ? axis + rank : axis
        check(a >= 0 && a < rank, "\(name): axis \(axis) out of range for shape \(node.shape.array)")
        var outer = 1, inner = 1
        for d in 0..<a { outer *= node.shape[d] }
        for d in (a + 1)..<rank { inner *= node.shape[d] }
        let length = node.shape[a]
        var shape = TapeShape(rank: keepingDimension ? rank : rank - 1)
        var d = 0
        for source in 0..<rank where source != a || keepingDimension {
            shape[d] = source == a ? 1 : node.shape[source]
            d += 1
        }
        let out = allocate(outer * inner)
        let x = node.value
        if inner == 1 {
            for o in 0..<outer { out[o] = Float(Kernels.sum(IdentityKernel.self, x + o * length, count: length)) }
        } else {
            // Add whole rows of `inner` scalars: vectorized across the kept dimensions.
            out.update(repeating: 0, count: outer * inner)
            for o in 0..<outer {
                for l in 0..<length {
                    Kernels.zipAccumulatingRange(FirstKernel.self, x + (o * length + l) * inner, aStride: 1, x, bStride: 0,
                                                 out + o * inner, range: 0..<inner)
                }
            }
        }
        let scale: Float = mean ? 1 / Float(length) : 1
        if mean {
            withUnsafePointer(to: scale) { s in
                Kernels.zip(MultiplyKernel.self, out, aStride: 1, s, bStride: 0, out, count: outer * inner)
            }
        }
        return append(.sumAlongAxis(i, outer: outer, length: length, inner: inner, scale: scale), shape: shape, value: out,
                      requiresGradient: node.requiresGradient)
    }

    /// ∂ of a sum along an axis: scale·g copied to every position that was summed.
    func pullbackSumAlongAxis(_ node: TapeNode, _ g: UnsafeMutablePointer<Float>, _ x: Int,
                              outer: Int, length: Int, inner: Int, scale: Float) {
        guard nodes[x].requiresGradient else { return }
        let (gx, accumulate) = gradientSlot(x)
        withUnsafePointer(to: scale) { s in
            for o in 0..<outer {
                if inner == 1 {
                    Kernels.zipRange(MultiplyKernel.self, g + o, aStride: 0, s, bStride: 0, gx + o * length,
                                     range: 0..<length, accumulate: accumulate)
                } else {
                    for l in 0..<length {
                        Kernels.zipRange(MultiplyKernel.self, g + o * inner, aStride: 1, s, bStride: 0, gx + (o * length + l) * inner,
                                         range: 0..<inner, accumulate: accumulate)
                    }
                }
            }
        }
    }
}

extension Variable {
    /// Σ of all scalars, a scalar variable; ∂/∂x = g everywhere.
    public func sum() -> Variable { tape.recordSum(self, mean: false, "sum") }

    /// The mean of all scalars, (1/n)·Σ x; ∂/∂x = g/n everywhere.
    public func mean() -> Variable { tape.recordSum(self, mean: true, "mean") }

    /// Sums along `axis` (negative counts from the end), removing it or keeping it with size 1;
    /// the pullback copies g back along the axis.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        tape.recordSum(self, alongAxis: axis, keepingDimension: keepingDimension, mean: false, "sum(alongAxis:)")
    }

    /// Means along `axis`, (1/n)·Σ over the axis; the pullback copies g/n back along it.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Variable {
        tape.recordSum(self, alongAxis: axis, keepingDimension: keepingDimension, mean: true, "mean(alongAxis:)")
    }
}
