// Kernels+Reduction: sums, maxima and their positions over contiguous buffers.
//
// Sums are deterministic for a given input whatever the thread count: the input is cut into
// fixed blocks, each block is summed by the same SIMD code, and the block sums are combined in
// block order (in Double, which also keeps a 10M-element sum accurate).

/// Elements per block of a parallel sum. Fixed, so the summation order never depends on threads.
let reductionBlock = 1 << 14

/// The identity map, for plain sums.
enum IdentityKernel: UnaryKernel {
    @inline(__always) static func apply(_ x: Vector) -> Vector { x }
}

extension Kernels {
    /// Σ K(x[i]) over one stretch, with four independent vector accumulators so the adds pipeline.
    static func blockSum<K: UnaryKernel>(_: K.Type, _ x: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = Vector(), s1 = Vector(), s2 = Vector(), s3 = Vector()
        var i = 0
        while i + 64 <= count {
            s0 += K.apply(loadVector(x + i))
            s1 += K.apply(loadVector(x + i + 16))
            s2 += K.apply(loadVector(x + i + 32))
            s3 += K.apply(loadVector(x + i + 48))
            i += 64
        }
        while i + 16 <= count {
            s0 += K.apply(loadVector(x + i))
            i += 16
        }
        if i < count {
            // Padding is 0 before K; every K used with sums maps 0 to 0.
            s1 += K.apply(loadPartialVector(x + i, count: count - i))
        }
        return ((s0 + s1) + (s2 + s3)).sum()
    }

    /// Σ K(x[i]) for i < count, deterministic whatever the thread count.
    static func sum<K: UnaryKernel>(_: K.Type, _ x: UnsafePointer<Float>, count: Int) -> Double {
        if count <= reductionBlock { return Double(blockSum(K.self, x, count: count)) }
        let blocks = (count + reductionBlock - 1) / reductionBlock
        var partials = [Double](repeating: 0, count: blocks)
        partials.withUnsafeMutableBufferPointer { partials in
            let out = partials.baseAddress!
            Parallel.forEachChunk(count: blocks, minimumChunk: max(1, parallelThreshold / reductionBlock)) { range in
                for block in range {
                    let start = block * reductionBlock
                    out[block] = Double(blockSum(K.self, x + start, count: min(reductionBlock, count - start)))
                }
            }
        }
        return partials.reduce(0, +)
    }

    /// The largest element, NaN if any element is NaN, −∞ for an empty buffer.
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var best = Vector(repeating: -.infinity)
        var sawNaN = SIMDMask<SIMD16<Int32>>(repeating: false)
        var i = 0
        while i + 16 <= count {
            let v = loadVector(x + i)
            sawNaN .|= v .!= v
            best.replace(with: v, where: v .> best)
            i += 16
        }
        if i < count {
            let v = loadPartialVector(x + i, count: count - i, padding: -.infinity)
            sawNaN .|= v .!= v
            best.replace(with: v, where: v .> best)
        }
        return any(sawNaN) ? .nan : best.max()
    }

    /// The position of the first largest element (of the first NaN, if any); nil when empty.
    static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int? {
        guard count > 0 else { return nil }
        let target = maximum(x, count: count)
        if target.isNaN {
            return (0..<count).first { x[$0].isNaN }
        }
        let t = Vector(repeating: target)
        var i = 0
        while i + 16 <= count {
            if any(loadVector(x + i) .== t) { break }
            i += 16
        }
        while x[i] != target { i += 1 }
        return i
    }
}

// MARK: - Finiteness

extension Kernels {
    /// Σ (xᵢ − xᵢ) over one stretch: exactly 0 when every xᵢ is finite and NaN otherwise (∞ − ∞
    /// and NaN − NaN are NaN, and a NaN survives every later add). Two vector operations per 16
    /// scalars and four independent accumulators, so a stretch in cache costs little more than
    /// loading it.
    @inline(__always)
    static func blockFiniteProbe(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var p0 = Vector(), p1 = Vector(), p2 = Vector(), p3 = Vector()
        var i = 0
        while i + 64 <= count {
            let a = loadVector(x + i), b = loadVector(x + i + 16)
            let c = loadVector(x + i + 32), d = loadVector(x + i + 48)
            p0 += a - a
            p1 += b - b
            p2 += c - c
            p3 += d - d
            i += 64
        }
        while i + 16 <= count {
            let a = loadVector(x + i)
            p0 += a - a
            i += 16
        }
        if i < count {
            let a = loadPartialVector(x + i, count: count - i) // padding 0 is finite
            p1 += a - a
        }
        return ((p0 + p1) + (p2 + p3)).sum()
    }

    /// `blockFiniteProbe` over a long stretch read as four streams at once, one per quarter.
    /// A single sequential read of memory is limited by the misses one stream keeps in flight:
    /// on a Zen 3 core it reads 16–18 GB/s, four streams 27–32 (a C loop of this shape, 10M
    /// floats), against the ~28 GB/s a momentum step's three read streams already reach. The
    /// probe is 0 or NaN whatever order it is summed in, so the split changes no answer.
    @inline(__always)
    static func streamedFiniteProbe(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let quarter = count / 64 * 16
        if quarter == 0 { return blockFiniteProbe(x, count: count) }
        let x1 = x + quarter, x2 = x1 + quarter, x3 = x2 + quarter
        var p0 = Vector(), p1 = Vector(), p2 = Vector(), p3 = Vector()
        var i = 0
        while i < quarter {
            let a = loadVector(x + i), b = loadVector(x1 + i)
            let c = loadVector(x2 + i), d = loadVector(x3 + i)
            p0 += a - a
            p1 += b - b
            p2 += c - c
            p3 += d - d
            i += 16
        }
        return ((p0 + p1) + (p2 + p3)).sum() + blockFiniteProbe(x3 + quarter, count: count - 4 * quarter)
    }

    /// Whether no element is NaN or ±∞, in one read of `x` (see `streamedFiniteProbe`): on the
    /// calling thread below `parallelThreshold` elements, else one contiguous stretch per thread,
    /// with a probe per thread on the stack.
    static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        if count <= parallelThreshold { return streamedFiniteProbe(x, count: count) == 0 }
        let blocks = (count + reductionBlock - 1) / reductionBlock
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: blocks) { probes in
            let out = probes.baseAddress!
            out.initialize(repeating: 0, count: blocks)
            Parallel.forEachChunk(count: blocks, minimumChunk: max(1, parallelThreshold / reductionBlock)) { range in
                let start = range.lowerBound * reductionBlock, end = min(count, range.upperBound * reductionBlock)
                out[range.lowerBound] = streamedFiniteProbe(x + start, count: end - start)
            }
            var probe: Float = 0
            for block in 0..<blocks { probe += out[block] }
            return probe == 0
        }
    }

    /// The number of NaN and ±∞ elements, for the message of a refused step (the rare path).
    static func nonFiniteCount(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var nonFinite = 0
        for i in 0..<count where !x[i].isFinite { nonFinite += 1 }
        return nonFinite
    }
}
