// Tape+Broadcast: broadcasting over the tape's raw buffers, forward (a zip) and backward (the
// adjoint: summing a gradient over the dimensions an operand was broadcast along).

/// The loop structure of a broadcast between two operands and a result, held inline so building
/// it allocates nothing (the same plan as `BroadcastPlan`, which keeps its sizes in arrays).
///
/// Size-1 result dimensions are dropped and neighbouring dimensions that broadcast alike are
/// merged, leaving an outer loop over `rowCount` rows around one inner stretch of `innerCount`
/// scalars in which each operand is contiguous (stride 1) or one repeated scalar (stride 0).
struct BroadcastLoop {
    private var outerSizes = SIMD8<Int>(repeating: 1)
    private var lhsOuterStrides = SIMD8<Int>(repeating: 0)
    private var rhsOuterStrides = SIMD8<Int>(repeating: 0)
    private var outerRank = 0
    private(set) var rowCount = 1
    private(set) var innerCount = 1
    private(set) var lhsInnerStride = 0
    private(set) var rhsInnerStride = 0

    init(result: TapeShape, lhs: TapeShape, rhs: TapeShape) {
        var sizes = SIMD8<Int>(repeating: 1)
        var lhsBroadcast = SIMD8<Int>(repeating: 0), rhsBroadcast = SIMD8<Int>(repeating: 0)
        var dims = 0
        for i in 0..<result.rank where result[i] != 1 {
            let li = i - (result.rank - lhs.rank), ri = i - (result.rank - rhs.rank)
            let l = li >= 0 && lhs[li] != 1 ? 0 : 1
            let r = ri >= 0 && rhs[ri] != 1 ? 0 : 1
            if dims > 0, lhsBroadcast[dims - 1] == l, rhsBroadcast[dims - 1] == r {
                sizes[dims - 1] *= result[i]
            } else {
                sizes[dims] = result[i]
                lhsBroadcast[dims] = l
                rhsBroadcast[dims] = r
                dims += 1
            }
        }
        guard dims > 0 else { return } // a single scalar
        dims -= 1
        innerCount = sizes[dims]
        lhsInnerStride = 1 - lhsBroadcast[dims]
        rhsInnerStride = 1 - rhsBroadcast[dims]
        var lhsStride = lhsInnerStride == 1 ? innerCount : 1
        var rhsStride = rhsInnerStride == 1 ? innerCount : 1
        outerRank = dims
        for d in stride(from: dims - 1, through: 0, by: -1) {
            outerSizes[d] = sizes[d]
            rowCount *= sizes[d]
            lhsOuterStrides[d] = lhsBroadcast[d] == 1 ? 0 : lhsStride
            rhsOuterStrides[d] = rhsBroadcast[d] == 1 ? 0 : rhsStride
            if lhsBroadcast[d] == 0 { lhsStride *= sizes[d] }
            if rhsBroadcast[d] == 0 { rhsStride *= sizes[d] }
        }
    }

    /// Where row `row` of the result starts in each operand (the result row starts at
    /// row·innerCount).
    @inline(__always)
    func offsets(row: Int) -> (lhs: Int, rhs: Int) {
        var rest = row, lhs = 0, rhs = 0
        var d = outerRank - 1
        while d >= 0 {
            let index = rest % outerSizes[d]
            rest /= outerSizes[d]
            lhs += index * lhsOuterStrides[d]
            rhs += index * rhsOuterStrides[d]
            d -= 1
        }
        return (lhs, rhs)
    }
}

extension Tape {
    /// The shape `a` and `b` broadcast to, or a stop naming both shapes.
    func broadcastShape(_ a: TapeShape, _ b: TapeShape, _ operation: StaticString) -> TapeShape {
        var result = TapeShape(rank: Swift.max(a.rank, b.rank))
        for i in 0..<result.rank {
            let ai = i - (result.rank - a.rank), bi = i - (result.rank - b.rank)
            let x = ai >= 0 ? a[ai] : 1, y = bi >= 0 ? b[bi] : 1
            check(x == y || x == 1 || y == 1, "\(operation): shapes \(a.array) and \(b.array) do not broadcast")
            result[i] = x == 1 ? y : x
        }
        return result
    }

    /// out = K(a, b) with a and b broadcast to `shape`.
    func broadcastZip<K: BinaryKernel>(_: K.Type, _ a: UnsafePointer<Float>, _ aShape: TapeShape,
                                       _ b: UnsafePointer<Float>, _ bShape: TapeShape,
                                       _ out: UnsafeMutablePointer<Float>, _ shape: TapeShape) {
        let count = shape.count
        guard count > 0 else { return }
        if aShape == shape && bShape == shape {
            Kernels.zip(K.self, a, aStride: 1, b, bStride: 1, out, count: count)
            return
        }
        let loop = BroadcastLoop(result: shape, lhs: aShape, rhs: bShape)
        let inner = loop.innerCount
        Parallel.forEachChunk(count: loop.rowCount, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(inner, 1))) { rows in
            for row in rows {
                let (l, r) = loop.offsets(row: row)
                Kernels.zipRange(K.self, a + l, aStride: loop.lhsInnerStride, b + r, bStride: loop.rhsInnerStride,
                                 out + row * inner, range: 0..<inner)
            }
        }
    }

    /// Adds ±c (c of shape `shape`) to the gradient of node `target`, summed over the dimensions
    /// along which the target was broadcast up to `shape`: the adjoint of broadcasting.
    func accumulateReduced(_ c: UnsafePointer<Float>, _ shape: TapeShape, into target: Int, negate: Bool) {
        let targetShape = nodes[target].shape
        let count = shape.count
        let (gt, accumulate) = gradientSlot(target)
        if targetShape == shape {
            if negate {
                Kernels.zip(NegatedFirstKernel.self, c, aStride: 1, c, bStride: 1, gt, count: count, accumulate: accumulate)
            } else {
                Kernels.zip(FirstKernel.self, c, aStride: 1, c, bStride: 1, gt, count: count, accumulate: accumulate)
            }
            return
        }
        if !accumulate { gt.update(repeating: 0, count: nodes[target].count) }
        guard count > 0 else { return }
        let sign: Float = negate ? -1 : 1
        if nodes[target].count == 1 {
            gt[0] += sign * Float(Kernels.sum(IdentityKernel.self, c, count: count))
            return
        }
        // Serial: rows that broadcast from the same target row add into the same place.
        let loop = BroadcastLoop(result: shape, lhs: targetShape, rhs: shape)
        let inner = loop.innerCount
        for row in 0..<loop.rowCount {
            let t = loop.offsets(row: row).lhs
            if loop.lhsInnerStride == 1 {
                if negate {
                    Kernels.zipAccumulatingRange(NegatedFirstKernel.self, c + row * inner, aStride: 1, c, bStride: 0, gt + t, range: 0..<inner)
                } else {
                    Kernels.zipAccumulatingRange(FirstKernel.self, c + row * inner, aStride: 1, c, bStride: 0, gt + t, range: 0..<inner)
                }
            } else {
                gt[t] += sign * Kernels.blockSum(IdentityKernel.self, c + row * inner, count: inner)
            }
        }
    }

    /// Adds K(g, other) (other broadcast to g's shape) to the gradient of node `target`, summed
    /// over the dimensions along which the target was broadcast. Fused into one pass when the
    /// target has g's shape; otherwise through a scratch buffer of g's shape.
    func accumulateZip<K: BinaryKernel>(_: K.Type, _ g: UnsafePointer<Float>, _ shape: TapeShape,
                                        _ other: UnsafePointer<Float>, _ otherShape: TapeShape, into target: Int) {
        let count = shape.count
        if nodes[target].shape == shape {
            let (gt, accumulate) = gradientSlot(target)
            if otherShape == shape || count == 0 {
                Kernels.zip(K.self, g, aStride: 1, other, bStride: 1, gt, count: count, accumulate: accumulate)
                return
            }
            let loop = BroadcastLoop(result: shape, lhs: shape, rhs: otherShape)
            let inner = loop.innerCount
            Parallel.forEachChunk(count: loop.rowCount, minimumChunk: Swift.max(1, Kernels.parallelThreshold / Swift.max(inner, 1))) { rows in
                for row in rows {
                    let r = loop.offsets(row: row).rhs
                    Kernels.zipRange(K.self, g + row * inner, aStride: 1, other + r, bStride: loop.rhsInnerStride,
                                     gt + row * inner, range: 0..<inner, accumulate: accumulate)
                }
            }
            return
        }
        let scratch = allocate(count)
        broadcastZip(K.self, g, shape, other, otherShape, scratch, shape)
        accumulateReduced(scratch, shape, into: target, negate: false)
    }
}
