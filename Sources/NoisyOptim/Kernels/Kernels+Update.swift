// Kernels+Update: the element-wise pieces of an optimizer step, over one cache-sized block.
//
// A step runs its transforms block by block (see `UpdateEngine`), so these loops see a few
// thousand scalars that sit in L1; the memory traffic of a step is one read of the gradient and
// one read and write of each per-parameter buffer, whatever the number of transforms.

/// Calls `body(offset, lanes)` for every 16-lane stretch of `0..<count`, the last one possibly
/// shorter. After inlining the main loop sees `lanes == 16` as a constant.
@inline(__always)
func forEachLaneGroup(count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
    var i = 0
    while i + 16 <= count {
        body(i, 16)
        i += 16
    }
    if i < count { body(i, count - i) }
}

@inline(__always)
func loadLanes(_ pointer: UnsafePointer<Float>, _ lanes: Int) -> Vector {
    lanes == 16 ? loadVector(pointer) : loadPartialVector(pointer, count: lanes)
}

@inline(__always)
func storeLanes(_ vector: Vector, _ pointer: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 16 { storeVector(vector, pointer) } else { storePartialVector(vector, pointer, count: lanes) }
}

extension Kernels {
    // MARK: - Whole-buffer passes

    /// Σ xᵢ² (in Double across fixed blocks, so the result never depends on the thread count) and
    /// the number of NaN or ±∞ elements, in one read of `x` (a second one only if there are some).
    ///
    /// A finite value above ~1.8·10¹⁹ squares to +∞ in Float, so the sum can be +∞ with a zero count.
    static func squaredNormAndNonFiniteCount(_ x: UnsafePointer<Float>, count: Int) -> (sumOfSquares: Double, nonFinite: Int) {
        let blocks = (count + reductionBlock - 1) / reductionBlock
        var sums = [Double](repeating: 0, count: max(blocks, 1))
        var probes = [Float](repeating: 0, count: max(blocks, 1))
        sums.withUnsafeMutableBufferPointer { sums in
            probes.withUnsafeMutableBufferPointer { probes in
                let sumsBase = sums.baseAddress!, probesBase = probes.baseAddress!
                Parallel.forEachChunk(count: blocks, minimumChunk: max(1, parallelThreshold / reductionBlock)) { range in
                    for block in range {
                        let start = block * reductionBlock
                        let (s, p) = blockSquaresAndProbe(x + start, count: min(reductionBlock, count - start))
                        sumsBase[block] = Double(s)
                        probesBase[block] = p
                    }
                }
            }
        }
        guard probes.contains(where: { $0 != 0 }) else { return (sums.reduce(0, +), 0) }
        // Rare path: something is not finite; count it for the error message.
        return (sums.reduce(0, +), nonFiniteCount(x, count: count))
    }

    /// Σ xᵢ² over one stretch, and a probe Σ (xᵢ − xᵢ) that is exactly 0 when every xᵢ is finite
    /// and NaN otherwise (∞ − ∞ and NaN − NaN are NaN): three vector operations per vector, no
    /// integer masks.
    static func blockSquaresAndProbe(_ x: UnsafePointer<Float>, count: Int) -> (Float, Float) {
        var s0 = Vector(), s1 = Vector(), p0 = Vector(), p1 = Vector()
        var i = 0
        while i + 32 <= count {
            let a = loadVector(x + i), b = loadVector(x + i + 16)
            s0 += a * a
            s1 += b * b
            p0 += a - a
            p1 += b - b
            i += 32
        }
        forEachLaneGroup(count: count - i) { offset, lanes in
            let a = loadLanes(x + i + offset, lanes)
            s0 += a * a
            p0 += a - a
        }
        return ((s0 + s1).sum(), (p0 + p1).sum())
    }

    // MARK: - Block kernels (pointers to one block; `count` is its length)

    /// d = x, or d = −x when `negate` (PyTorch's `maximize`).
    @inline(__always)
    static func loadDirection(_ x: UnsafePointer<Float>, into d: UnsafeMutablePointer<Float>, count: Int, negate: Bool) {
        if negate {
            forEachLaneGroup(count: count) { i, lanes in storeLanes(-loadLanes(x + i, lanes), d + i, lanes) }
        } else {
            d.update(from: x, count: count)
        }
    }

    /// θ = θ + α·d: the final stage of a step, α = −learning rate.
    @inline(__always)
    static func addScaled(_ d: UnsafePointer<Float>, scale alpha: Float, to theta: UnsafeMutablePointer<Float>, count: Int) {
        let a = Vector(repeating: alpha)
        forEachLaneGroup(count: count) { i, lanes in
            storeLanes(loadLanes(theta + i, lanes) + a * loadLanes(d + i, lanes), theta + i, lanes)
        }
    }

    /// d = d + λ·θ (PyTorch's `grad.add(param, alpha=weight_decay)`).
    @inline(__always)
    static func addWeightDecay(_ d: UnsafeMutablePointer<Float>, parameters theta: UnsafePointer<Float>, lambda: Float, count: Int) {
        let l = Vector(repeating: lambda)
        forEachLaneGroup(count: count) { i, lanes in
            storeLanes(loadLanes(d + i, lanes) + l * loadLanes(theta + i, lanes), d + i, lanes)
        }
    }

    /// d = d·s.
    @inline(__always)
    static func scale(_ d: UnsafeMutablePointer<Float>, by s: Float, count: Int) {
        let v = Vector(repeating: s)
        forEachLaneGroup(count: count) { i, lanes in storeLanes(loadLanes(d + i, lanes) * v, d + i, lanes) }
    }

    /// d = min(max(d, −c), c); NaN stays NaN.
    @inline(__always)
    static func clamp(_ d: UnsafeMutablePointer<Float>, limit c: Float, count: Int) {
        let high = Vector(repeating: c), low = Vector(repeating: -c)
        forEachLaneGroup(count: count) { i, lanes in
            var x = loadLanes(d + i, lanes)
            x.replace(with: high, where: x .> high)
            x.replace(with: low, where: x .< low)
            storeLanes(x, d + i, lanes)
        }
    }

    /// PyTorch's momentum buffer: v = d on the first step, else v = μ·v + (1 − dampening)·d; then
    /// d = d + μ·v (Nesterov) or d = v.
    @inline(__always)
    static func momentum(_ d: UnsafeMutablePointer<Float>, velocity v: UnsafeMutablePointer<Float>, count: Int,
                         momentum mu: Float, gradientScale: Float, nesterov: Bool, first: Bool) {
        let m = Vector(repeating: mu), s = Vector(repeating: gradientScale)
        switch (first, nesterov) {
        case (true, false):
            v.update(from: d, count: count)
        case (true, true):
            forEachLaneGroup(count: count) { i, lanes in
                let g = loadLanes(d + i, lanes)
                storeLanes(g, v + i, lanes)
                storeLanes(g + m * g, d + i, lanes)
            }
        case (false, false):
            forEachLaneGroup(count: count) { i, lanes in
                let velocity = m * loadLanes(v + i, lanes) + s * loadLanes(d + i, lanes)
                storeLanes(velocity, v + i, lanes)
                storeLanes(velocity, d + i, lanes)
            }
        case (false, true):
            forEachLaneGroup(count: count) { i, lanes in
                let g = loadLanes(d + i, lanes)
                let velocity = m * loadLanes(v + i, lanes) + s * g
                storeLanes(velocity, v + i, lanes)
                storeLanes(g + m * velocity, d + i, lanes)
            }
        }
    }

    /// Adam's moments and direction (Kingma & Ba 2015, Algorithm 1):
    /// m = β₁m + (1−β₁)d, v = β₂v + (1−β₂)d², d = (m / (√v · c₂ + ε)) · c₁ with c₁ = 1/(1−β₁ᵗ⁺¹),
    /// c₂ = 1/√(1−β₂ᵗ⁺¹) — the bias corrections, arranged as PyTorch does (ε added after √v̂).
    ///
    /// Not inlined: inlined into the chain's protocol witness, the square root stayed a call to
    /// the stdlib's `_stdlib_squareRootf` shim per lane (measured: 40% of an Adam step); compiled on
    /// its own it is one `sqrtps` per four lanes. One call per block costs nothing.
    @inline(never)
    static func adam(_ d: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                     beta1: Float, beta2: Float, correction1: Float, correction2: Float, epsilon: Float) {
        let constants = AdamConstants(beta1: beta1, beta2: beta2, correction1: correction1, correction2: correction2,
                                      epsilon: epsilon)
        forEachLaneGroup(count: count) { i, lanes in
            storeLanes(adamLanes(loadLanes(d + i, lanes), m: m + i, v: v + i, lanes: lanes, constants), d + i, lanes)
        }
    }

#if NOISYOPTIM_AVX512
    /// The width of Adam's fused loop: one zmm register.
    typealias AdamVector = SIMD16<Float>
#else
    /// The width of Adam's fused loop: half of `Vector`, so two xmm registers (one ymm) per value.
    /// The loop is bound by the divider (√ and ÷); at four xmm per value its live values spilled
    /// (measured in L2, single runs on a shared machine: 0.83–0.85 against 0.87 ns per parameter).
    typealias AdamVector = SIMD8<Float>
#endif

    /// Adam's per-step constants as vectors.
    struct AdamConstants {
        let b1, b2, c1, c2, k1, k2, e: Vector
        @inline(__always)
        init(beta1: Float, beta2: Float, correction1: Float, correction2: Float, epsilon: Float) {
            b1 = Vector(repeating: beta1); b2 = Vector(repeating: beta2)
            c1 = Vector(repeating: 1 - beta1); c2 = Vector(repeating: 1 - beta2)
            k1 = Vector(repeating: correction1); k2 = Vector(repeating: correction2); e = Vector(repeating: epsilon)
        }
    }

    /// One lane group of Adam: updates m and v in place from the direction d and returns the new
    /// direction (m / (√v · c₂ + ε)) · c₁.
    @inline(__always)
    static func adamLanes(_ d: Vector, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, lanes: Int,
                          _ k: AdamConstants) -> Vector {
        let (first, second, direction) = adamMoments(d, m: loadLanes(m, lanes), v: loadLanes(v, lanes),
                                                     k.b1, k.c1, k.b2, k.c2, k.k1, k.k2, k.e)
        storeLanes(first, m, lanes)
        storeLanes(second, v, lanes)
        return direction
    }

    /// Adam's arithmetic on one vector of any width, the constants as in `AdamConstants`: the new m
    /// and v, and the direction (m / (√v · c₂ + ε)) · c₁. The same operations in the same order
    /// at every width, so every width gives the same bits.
    @inline(__always)
    static func adamMoments<V: SIMD>(_ d: V, m: V, v: V, _ b1: V, _ c1: V, _ b2: V, _ c2: V, _ k1: V, _ k2: V, _ e: V)
        -> (m: V, v: V, direction: V) where V.Scalar == Float {
        let first = b1 * m + c1 * d
        let second = b2 * v + c2 * (d * d)
        var root = second
        for i in 0..<V.scalarCount { root[i] = second[i].magnitude.squareRoot() }
        return (first, second, first / (root * k2 + e) * k1)
    }
}

// MARK: - Fused steps (one pass from the gradient to θ, no scratch direction)
//
// Each computes exactly the operations of the block engine's general path, in the same order
// (d = ±g; the transform; θ = θ + α·d), so both paths give the same bits. Multiplying by the
// sign is exact, and (−s)·g rounds to the same value as s·(−g).

extension Kernels {
    /// θ = θ + α·(±g): plain gradient descent.
    @inline(__always)
    static func descend(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                        alpha: Float, count: Int) {
        addScaled(g, scale: sign * alpha, to: theta, count: count)
    }

    /// PyTorch's momentum step in one pass: d = ±g, v = d (first step) or μv + (1 − τ)d, then
    /// θ = θ + α·v, or θ = θ + α·(d + μv) with Nesterov. Reads g, v, θ once; writes v, θ once.
    /// Not inlined: inlined into the block loop the four cases compiled to 2–3% more instructions.
    @inline(never)
    static func momentumStep(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                             velocity v: UnsafeMutablePointer<Float>, count: Int, alpha: Float,
                             momentum mu: Float, gradientScale: Float, nesterov: Bool, first: Bool) {
        let m = Vector(repeating: mu), s = Vector(repeating: gradientScale)
        let a = Vector(repeating: alpha), sg = Vector(repeating: sign)
        switch (first, nesterov) {
        case (true, false):
            forEachLaneGroup(count: count) { i, lanes in
                let d = loadLanes(g + i, lanes) * sg
                storeLanes(d, v + i, lanes)
                storeLanes(loadLanes(theta + i, lanes) + a * d, theta + i, lanes)
            }
        case (true, true):
            forEachLaneGroup(count: count) { i, lanes in
                let d = loadLanes(g + i, lanes) * sg
                storeLanes(d, v + i, lanes)
                storeLanes(loadLanes(theta + i, lanes) + a * (d + m * d), theta + i, lanes)
            }
        case (false, false) where sign == 1 && gradientScale == 1:
            // The common case (no `maximize`, no dampening) without its two multiplies by 1, which
            // are exact: the same bits with two of six vector operations fewer. Only with the
            // arrays in cache can that show; at memory speed the traffic sets the pace.
            forEachLaneGroup(count: count) { i, lanes in
                let velocity = m * loadLanes(v + i, lanes) + loadLanes(g + i, lanes)
                storeLanes(velocity, v + i, lanes)
                storeLanes(loadLanes(theta + i, lanes) + a * velocity, theta + i, lanes)
            }
        case (false, false):
            forEachLaneGroup(count: count) { i, lanes in
                let velocity = m * loadLanes(v + i, lanes) + s * (loadLanes(g + i, lanes) * sg)
                storeLanes(velocity, v + i, lanes)
                storeLanes(loadLanes(theta + i, lanes) + a * velocity, theta + i, lanes)
            }
        case (false, true):
            forEachLaneGroup(count: count) { i, lanes in
                let d = loadLanes(g + i, lanes) * sg
                let velocity = m * loadLanes(v + i, lanes) + s * d
                storeLanes(velocity, v + i, lanes)
                storeLanes(loadLanes(theta + i, lanes) + a * (d + m * velocity), theta + i, lanes)
            }
        }
    }

    /// Adam's step in one pass: d = ±g, the moments and direction of `adam`, then θ = θ + α·d.
    /// Not inlined, for the reason given at `adam`.
    ///
    /// With sign +1 (no `maximize`) the loop reads d = g without multiplying: 1·g is g exactly, and
    /// the multiply was one of the 16 vector operations per 4 lanes of a loop whose single-thread
    /// speed is set by its arithmetic (the divider's √ and ÷) about as much as by memory.
    ///
    /// With `decay` λ ≠ 0 it is AdamW's step: θ = θ + α·(d + λθ), d Adam's direction, the bits of
    /// the general path's Adam link, then its decay link (d + λθ), then θ + α·d.
    @inline(never)
    static func adamStep(_ g: UnsafePointer<Float>, sign: Float, parameters theta: UnsafeMutablePointer<Float>,
                         m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int, alpha: Float,
                         beta1: Float, beta2: Float, correction1: Float, correction2: Float, epsilon: Float,
                         decay: Float = 0) {
        let constants = AdamConstants(beta1: beta1, beta2: beta2, correction1: correction1, correction2: correction2,
                                      epsilon: epsilon)
        switch (sign == 1, decay == 0) {
        case (true, true):
            adamStepLoop(g, sign: nil, parameters: theta, m: m, v: v, count: count, alpha: alpha, decay: nil, constants)
        case (false, true):
            adamStepLoop(g, sign: sign, parameters: theta, m: m, v: v, count: count, alpha: alpha, decay: nil, constants)
        case (true, false):
            adamStepLoop(g, sign: nil, parameters: theta, m: m, v: v, count: count, alpha: alpha, decay: decay, constants)
        case (false, false):
            adamStepLoop(g, sign: sign, parameters: theta, m: m, v: v, count: count, alpha: alpha, decay: decay, constants)
        }
    }

    /// The loop of `adamStep`, d = g·sign (or g when `sign` is nil), plus λθ when `decay` is λ;
    /// inlined into each branch, so each gets its own copy with or without the multiply and the
    /// decay.
    @inline(__always)
    private static func adamStepLoop(_ g: UnsafePointer<Float>, sign: Float?, parameters theta: UnsafeMutablePointer<Float>,
                                     m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int,
                                     alpha: Float, decay: Float?, _ constants: AdamConstants) {
        let negate = sign != nil
        // Whole vectors in a loop of their own: written as one `forEachLaneGroup` body, `adamLanes`
        // stayed a call per 16 lanes (measured: 0.90 against 0.68 ns per parameter in L2, where
        // the divider alone needs 0.57).
        typealias V = AdamVector
        let k = constants
        let b1 = V(repeating: k.b1[0]), c1 = V(repeating: k.c1[0]), b2 = V(repeating: k.b2[0]), c2 = V(repeating: k.c2[0])
        let k1 = V(repeating: k.k1[0]), k2 = V(repeating: k.k2[0]), e = V(repeating: k.e[0])
        let a = V(repeating: alpha), sg = V(repeating: sign ?? 1), lambda = V(repeating: decay ?? 0)
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
        @inline(__always) func store(_ x: V, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: x, as: V.self)
        }
        var i = 0
        while i + V.scalarCount <= count {
            let gradient = load(g + i)
            let (first, second, direction) = adamMoments(negate ? gradient * sg : gradient, m: load(m + i), v: load(v + i),
                                                         b1, c1, b2, c2, k1, k2, e)
            store(first, m + i)
            store(second, v + i)
            let t = load(theta + i)
            store(t + a * (decay == nil ? direction : direction + lambda * t), theta + i)
            i += V.scalarCount
        }
        guard i < count else { return }
        let lanes = count - i
        let gradient = loadLanes(g + i, lanes)
        let direction = adamLanes(negate ? gradient * Vector(repeating: sign ?? 1) : gradient, m: m + i, v: v + i,
                                  lanes: lanes, constants)
        let t = loadLanes(theta + i, lanes)
        let step = decay == nil ? direction : direction + Vector(repeating: decay ?? 0) * t
        storeLanes(t + Vector(repeating: alpha) * step, theta + i, lanes)
    }
}
