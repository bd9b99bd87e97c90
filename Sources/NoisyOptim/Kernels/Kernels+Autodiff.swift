// Kernels+Autodiff: the loops the tape's pullbacks need on top of the plain maps and zips —
// accumulating zips (a gradient buffer is either written or added to), dot products, transposes.

extension Kernels {
    /// out[i] = K(a[i·aStride], b[i·bStride]) when `accumulate` is false, out[i] += that when true.
    ///
    /// Strides are 1 (a vector) or 0 (a scalar repeated). A pullback writes the first contribution
    /// to a gradient and adds the later ones, which saves zero-filling every gradient buffer.
    static func zip<K: BinaryKernel>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool
    ) {
        if !accumulate {
            zip(K.self, a, aStride: aStride, b, bStride: bStride, out, count: count)
            return
        }
        Parallel.forEachChunk(count: count, minimumChunk: parallelThreshold) { range in
            zipAccumulatingRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range)
        }
    }

    /// The single-threaded body of the accumulating `zip`: out[i] += K(a[i·aStride], b[i·bStride]).
    @inline(__always)
    static func zipAccumulatingRange<K: BinaryKernel>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        zipRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range, storing: Accumulate.self)
    }

    /// The single-threaded zip that writes or adds, for loops that split the work themselves.
    @inline(__always)
    static func zipRange<K: BinaryKernel>(
        _: K.Type, _ a: UnsafePointer<Float>, aStride: Int, _ b: UnsafePointer<Float>, bStride: Int,
        _ out: UnsafeMutablePointer<Float>, range: Range<Int>, accumulate: Bool
    ) {
        if accumulate {
            zipAccumulatingRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range)
        } else {
            zipRange(K.self, a, aStride: aStride, b, bStride: bStride, out, range: range)
        }
    }

    /// Σ a[i]·b[i], accumulated like `sum`: Float vectors within fixed blocks, Double across them,
    /// so the result does not depend on the thread count.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let n = min(reductionBlock, count - start)
            total += Double(blockDot(a + start, b + start, count: n))
            start += n
        }
        return total
    }

    /// Σ a[i]·b[i] over one stretch, four independent accumulators.
    static func blockDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = Vector(), s1 = Vector(), s2 = Vector(), s3 = Vector()
        var i = 0
        while i + 64 <= count {
            s0 += loadVector(a + i) * loadVector(b + i)
            s1 += loadVector(a + i + 16) * loadVector(b + i + 16)
            s2 += loadVector(a + i + 32) * loadVector(b + i + 32)
            s3 += loadVector(a + i + 48) * loadVector(b + i + 48)
            i += 64
        }
        while i + 16 <= count {
            s0 += loadVector(a + i) * loadVector(b + i)
            i += 16
        }
        if i < count {
            s1 += loadPartialVector(a + i, count: count - i) * loadPartialVector(b + i, count: count - i)
        }
        return ((s0 + s1) + (s2 + s3)).sum()
    }

    /// Σ (a[i] − b[i])² over one stretch (a squared-error loss of one example).
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = Vector(), s1 = Vector()
        var i = 0
        while i + 32 <= count {
            let d0 = loadVector(a + i) - loadVector(b + i)
            let d1 = loadVector(a + i + 16) - loadVector(b + i + 16)
            s0 += d0 * d0
            s1 += d1 * d1
            i += 32
        }
        while i + 16 <= count {
            let d = loadVector(a + i) - loadVector(b + i)
            s0 += d * d
            i += 16
        }
        if i < count {
            let d = loadPartialVector(a + i, count: count - i) - loadPartialVector(b + i, count: count - i)
            s1 += d * d
        }
        return (s0 + s1).sum()
    }

    /// out = scale·(a − b), or out += that: one example's squared-error pullback (scale = 2·g).
    static func scaledDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, scale: Float,
                                 _ out: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        let s = Vector(repeating: scale)
        var i = 0
        while i + 16 <= count {
            let v = s * (loadVector(a + i) - loadVector(b + i))
            storeVector(accumulate ? loadVector(out + i) + v : v, out + i)
            i += 16
        }
        if i < count {
            let n = count - i
            let v = s * (loadPartialVector(a + i, count: n) - loadPartialVector(b + i, count: n))
            storePartialVector(accumulate ? loadPartialVector(out + i, count: n) + v : v, out + i, count: n)
        }
    }

    /// out = xᵀ, or out += xᵀ, for x a rows×columns matrix (out is columns×rows). Tiled so the
    /// rows read and the rows written both stay in L1.
    static func transpose(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                          _ out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let tile = 32
        for i0 in stride(from: 0, to: rows, by: tile) {
            for j0 in stride(from: 0, to: columns, by: tile) {
                for i in i0..<min(i0 + tile, rows) {
                    if accumulate {
                        for j in j0..<min(j0 + tile, columns) { out[j * rows + i] += x[i * columns + j] }
                    } else {
                        for j in j0..<min(j0 + tile, columns) { out[j * rows + i] = x[i * columns + j] }
                    }
                }
            }
        }
    }
}

// MARK: - Pullback kernels: K(g, y) is the contribution of an output gradient g to its input.

/// g itself (the pullback of +).
enum FirstKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { a }
}
/// −a/b: the pullback of a quotient to its divisor, with a = g·(a/b).
enum NegatedQuotientKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { -(a / b) }
}
/// g where the ReLU output y is positive, else 0 (the subgradient 0 at 0, as PyTorch).
enum ReLUPullbackKernel: BinaryKernel {
    @inline(__always) static func apply(_ g: Vector, _ y: Vector) -> Vector { g.replacing(with: 0, where: .!(y .> 0)) }
}
/// g·(1 − y²) from the tanh output y.
enum TanhPullbackKernel: BinaryKernel {
    @inline(__always) static func apply(_ g: Vector, _ y: Vector) -> Vector { g * (1 - y * y) }
}
/// g·y·(1 − y) from the sigmoid output y.
enum SigmoidPullbackKernel: BinaryKernel {
    @inline(__always) static func apply(_ g: Vector, _ y: Vector) -> Vector { g * (y - y * y) }
}
/// g·2x: the pullback of x².
enum SquarePullbackKernel: BinaryKernel {
    @inline(__always) static func apply(_ g: Vector, _ x: Vector) -> Vector { g * (x + x) }
}
/// g·sign(x): the pullback of |x|, with the subgradient 0 at 0.
enum AbsPullbackKernel: BinaryKernel {
    @inline(__always) static func apply(_ g: Vector, _ x: Vector) -> Vector {
        var s = Vector(repeating: 0)
        s.replace(with: g, where: x .> 0)
        s.replace(with: -g, where: x .< 0)
        return s
    }
}
/// −g (the pullback of − to its right operand).
enum NegatedFirstKernel: BinaryKernel {
    @inline(__always) static func apply(_ a: Vector, _ b: Vector) -> Vector { -a }
}
