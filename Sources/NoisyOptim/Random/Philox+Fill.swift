// Philox+Fill: vectorized uniform and normal fills, four Philox blocks per SIMD step, threaded
// over contiguous stretches of blocks so the result never depends on the thread count.
//
// Codegen notes (baseline x86-64, SSE2), each found by reading the disassembly and measured with
// `noisyoptim-bench random`:
// - Swift's SIMD float operators are per-lane loops that LLVM's SLP vectorizer re-vectorizes; in a
//   large inlined loop body it left parts of the polynomials scalar (`mulss`). The Box–Muller math
//   is therefore one out-of-line function (`boxMullerBlocks`) that vectorizes cleanly on its own;
//   the call costs far less than it saves (fillNormal 250 → 315 M/s).
// - `SIMD.squareRoot()` keeps a libm call per lane (see `nonNegativeSquareRoot`).
// - The multiplies use 64-bit lanes (see `stepBlocks`).

extension Philox4x32 {
    /// Fills `buffer` with independent samples of U(0, 1]:
    /// u = (⌊x / 2⁸⌋ + 1) · 2⁻²⁴ for each 32-bit output word x, so u takes the 2²⁴ values
    /// k · 2⁻²⁴, k = 1 … 2²⁴, never 0 and exactly 1 at most.
    ///
    /// Position i holds word (i mod 4) of block counter + ⌊i / 4⌋, so a value depends only on the
    /// starting counter and i (not on the thread count). Consumes exactly ⌈count / 4⌉ blocks; the
    /// unused words of a final partial block are discarded, and so is a half block buffered by
    /// `next()`.
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>) {
        run(UniformKernel(), on: buffer)
    }

    /// Fills `buffer` with independent samples of N(mean, standardDeviation²) by the Box–Muller
    /// transform (Box and Muller 1958): for the words (x₀, x₁, x₂, x₃) of one block,
    ///
    ///     r = √(−2 ln u(x₀)),  θ = 2π · ⌊x₁ / 2⁸⌋ · 2⁻²⁴
    ///     out₀ = mean + σ · r cos θ,  out₁ = mean + σ · r sin θ
    ///
    /// and likewise (x₂, x₃) for out₂, out₃. The radius uses u ∈ (0, 1] as in `fillUniform`, so
    /// ln 0 never occurs; the largest radius is √(48 ln 2) ≈ 5.77, i.e. the Gaussian is truncated
    /// where its radial tail has probability 2⁻²⁴ ≈ 6·10⁻⁸. ln, sin and cos are SIMD polynomial
    /// approximations with errors of at most about 2 ULP (see `minusTwoLog` and `sinCosTurns`).
    ///
    /// Position i is word (i mod 4) of block counter + ⌊i / 4⌋, as in `fillUniform`: one block = 4
    /// words = 2 Box–Muller pairs = 4 normals. Consumes exactly ⌈count / 4⌉ blocks.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>,
                                    mean: Float = 0, standardDeviation: Float = 1) {
        run(NormalKernel(mean: mean, standardDeviation: standardDeviation), on: buffer)
    }

    /// Adds σ · z to every element, z ~ N(0, 1) being exactly the values `fillNormal` would
    /// produce from the same state (so the result is buffer[i] + σ · z[i], rounded once per
    /// operation). The gradient-noise kernel: one pass over the buffer, no temporary.
    /// Consumes exactly ⌈count / 4⌉ blocks.
    public mutating func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, standardDeviation: Float) {
        run(AddNormalKernel(standardDeviation: standardDeviation), on: buffer)
    }

    /// `count` samples of U(0, 1], as `fillUniform` produces them.
    public mutating func uniformFloats(count: Int) -> [Float] {
        check(count >= 0, "uniformFloats: count must be non-negative, got \(count)")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillUniform(buffer)
            initialized = count
        }
    }

    /// `count` samples of N(mean, standardDeviation²), as `fillNormal` produces them.
    public mutating func normalFloats(count: Int, mean: Float = 0, standardDeviation: Float = 1) -> [Float] {
        check(count >= 0, "normalFloats: count must be non-negative, got \(count)")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillNormal(buffer, mean: mean, standardDeviation: standardDeviation)
            initialized = count
        }
    }
}

// MARK: - Driver: threading and tails

/// One block per SIMD lane. Default build: four blocks per step, one SSE register per word of
/// output, and while the rounds run each word occupies two registers of 64-bit lanes (see
/// `stepBlocks`), so the state and the temporaries fit the sixteen SSE registers. The FMA trait
/// (AVX2) runs eight blocks per step and the AVX512 trait sixteen, in ymm and zmm registers. Every
/// lane computes the same function of its own block, so all builds produce the same values.
#if NOISYOPTIM_AVX512
typealias PhiloxLanes = SIMD16<UInt32>
typealias PhiloxFloats = SIMD16<Float>
typealias PhiloxInts = SIMD16<Int32>
/// Philox words during the rounds: the 32-bit word in the low half of each 64-bit lane.
typealias PhiloxWideLanes = SIMD16<UInt64>
#elseif NOISYOPTIM_FMA
typealias PhiloxLanes = SIMD8<UInt32>
typealias PhiloxFloats = SIMD8<Float>
typealias PhiloxInts = SIMD8<Int32>
/// Philox words during the rounds: the 32-bit word in the low half of each 64-bit lane.
typealias PhiloxWideLanes = SIMD8<UInt64>
#else
typealias PhiloxLanes = SIMD4<UInt32>
typealias PhiloxFloats = SIMD4<Float>
typealias PhiloxInts = SIMD4<Int32>
/// Philox words during the rounds: the 32-bit word in the low half of each 64-bit lane.
typealias PhiloxWideLanes = SIMD4<UInt64>
#endif

/// What a fill does with the four words of a step's blocks.
protocol PhiloxFillKernel {
    /// The four output values of each block of a step, one vector per word position.
    func values(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
        -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats)
    /// True if the values are added to the buffer, false if they replace it.
    static var accumulates: Bool { get }
}

extension Philox4x32 {
    /// Blocks per SIMD step: one per lane.
    static let blocksPerStep = PhiloxLanes.scalarCount
    /// Floats written per SIMD step: 4 words per block.
    static let floatsPerStep = 4 * blocksPerStep
    /// Below this many floats per thread, a second thread costs more to start than it saves
    /// (about 0.5 ms of work at 250 M samples/s, against tens of µs to wake a worker).
    static let minimumFloatsPerThread = 1 << 17

    /// Runs `kernel` over `buffer`, starting at this generator's counter, and advances the counter
    /// by ⌈count / 4⌉ blocks. Threads split the buffer at multiples of a step (4 floats per block) and each
    /// computes its own starting counter, so every position gets the same value whatever the split.
    mutating func run<Kernel: PhiloxFillKernel>(_ kernel: Kernel, on buffer: UnsafeMutableBufferPointer<Float>) {
        dropBuffered()
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return }
        let start = counter
        let key = key
        let steps = (count + Self.floatsPerStep - 1) / Self.floatsPerStep
        Parallel.forEachChunk(count: steps, minimumChunk: Self.minimumFloatsPerThread / Self.floatsPerStep) { range in
            let lower = range.lowerBound * Self.floatsPerStep
            let upper = min(range.upperBound * Self.floatsPerStep, count)
            Self.runSerially(kernel, on: base + lower, count: upper - lower,
                             counter: Self.counter(start, plus: UInt64(range.lowerBound * Self.blocksPerStep)), key: key)
        }
        advanceCounter(by: UInt64((count + 3) / 4))
    }

    /// One thread's share: `count` floats from the block at `counter`.
    @inline(__always)
    static func runSerially<Kernel: PhiloxFillKernel>(
        _ kernel: Kernel, on base: UnsafeMutablePointer<Float>, count: Int,
        counter start: SIMD4<UInt32>, key: SIMD2<UInt32>
    ) {
        var counter = start
        var offset = 0
        // Two independent steps per iteration give the out-of-order core two dependency chains of
        // multiplies to overlap (fillNormal 315 → 345 M/s, fillUniform 570 → 675 M/s).
        while offset + 2 * floatsPerStep <= count {
            let next = Self.counter(counter, plus: UInt64(blocksPerStep))
            let (a0, a1, a2, a3) = stepBlocks(counter: counter, key: key)
            let (b0, b1, b2, b3) = stepBlocks(counter: next, key: key)
            let (v0, v1, v2, v3) = kernel.values(a0, a1, a2, a3)
            writeTransposed(v0, v1, v2, v3, to: base + offset, accumulate: Kernel.accumulates)
            let (w0, w1, w2, w3) = kernel.values(b0, b1, b2, b3)
            writeTransposed(w0, w1, w2, w3, to: base + offset + floatsPerStep, accumulate: Kernel.accumulates)
            counter = Self.counter(next, plus: UInt64(blocksPerStep))
            offset += 2 * floatsPerStep
        }
        while offset + floatsPerStep <= count {
            let (x0, x1, x2, x3) = stepBlocks(counter: counter, key: key)
            let (v0, v1, v2, v3) = kernel.values(x0, x1, x2, x3)
            writeTransposed(v0, v1, v2, v3, to: base + offset, accumulate: Kernel.accumulates)
            counter = Self.counter(counter, plus: UInt64(blocksPerStep))
            offset += floatsPerStep
        }
        guard offset < count else { return }
        // Tail: compute a whole step into a scratch array and write only the positions that exist,
        // so a short buffer gets exactly the prefix a long one would.
        let (x0, x1, x2, x3) = stepBlocks(counter: counter, key: key)
        let (v0, v1, v2, v3) = kernel.values(x0, x1, x2, x3)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: floatsPerStep) { scratch in
            let scratch = scratch.baseAddress!
            writeTransposed(v0, v1, v2, v3, to: scratch, accumulate: false)
            let destination = base + offset
            for i in 0..<(count - offset) {
                destination[i] = Kernel.accumulates ? destination[i] + scratch[i] : scratch[i]
            }
        }
    }

    /// Writes block b's four values (v0[b], v1[b], v2[b], v3[b]) to positions 4b … 4b+3: a 4×4
    /// transpose (per four blocks) from one-vector-per-word to the buffer's block order.
    @inline(__always)
    static func writeTransposed(_ v0: PhiloxFloats, _ v1: PhiloxFloats, _ v2: PhiloxFloats, _ v3: PhiloxFloats,
                                to destination: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(destination)
#if NOISYOPTIM_AVX512
        // Four blocks per zmm store, each vector one whole-register interleave of the four words
        // (extracting lanes one block at a time cost more than the Philox rounds).
        @inline(__always)
        func blocks(_ i: Int) -> SIMD16<Float> {
            SIMD16(v0[i], v1[i], v2[i], v3[i], v0[i + 1], v1[i + 1], v2[i + 1], v3[i + 1],
                   v0[i + 2], v1[i + 2], v2[i + 2], v3[i + 2], v0[i + 3], v1[i + 3], v2[i + 3], v3[i + 3])
        }
        typealias Stored = SIMD16<Float>
        let parts = (blocks(0), blocks(4), blocks(8), blocks(12))
#elseif NOISYOPTIM_FMA
        @inline(__always)
        func blocks(_ i: Int) -> SIMD8<Float> {
            SIMD8(v0[i], v1[i], v2[i], v3[i], v0[i + 1], v1[i + 1], v2[i + 1], v3[i + 1])
        }
        typealias Stored = SIMD8<Float>
        let parts = (blocks(0), blocks(2), blocks(4), blocks(6))
#endif
#if NOISYOPTIM_FMA
        let stride = MemoryLayout<Stored>.size
        if accumulate {
            raw.storeBytes(of: parts.0 + raw.loadUnaligned(fromByteOffset: 0, as: Stored.self), toByteOffset: 0, as: Stored.self)
            raw.storeBytes(of: parts.1 + raw.loadUnaligned(fromByteOffset: stride, as: Stored.self),
                           toByteOffset: stride, as: Stored.self)
            raw.storeBytes(of: parts.2 + raw.loadUnaligned(fromByteOffset: 2 * stride, as: Stored.self),
                           toByteOffset: 2 * stride, as: Stored.self)
            raw.storeBytes(of: parts.3 + raw.loadUnaligned(fromByteOffset: 3 * stride, as: Stored.self),
                           toByteOffset: 3 * stride, as: Stored.self)
        } else {
            raw.storeBytes(of: parts.0, toByteOffset: 0, as: Stored.self)
            raw.storeBytes(of: parts.1, toByteOffset: stride, as: Stored.self)
            raw.storeBytes(of: parts.2, toByteOffset: 2 * stride, as: Stored.self)
            raw.storeBytes(of: parts.3, toByteOffset: 3 * stride, as: Stored.self)
        }
#else
        let stride = MemoryLayout<SIMD4<Float>>.size
        let blocks = (SIMD4(v0[0], v1[0], v2[0], v3[0]), SIMD4(v0[1], v1[1], v2[1], v3[1]),
                      SIMD4(v0[2], v1[2], v2[2], v3[2]), SIMD4(v0[3], v1[3], v2[3], v3[3]))
        if accumulate {
            raw.storeBytes(of: blocks.0 + raw.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self),
                           toByteOffset: 0, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.1 + raw.loadUnaligned(fromByteOffset: stride, as: SIMD4<Float>.self),
                           toByteOffset: stride, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.2 + raw.loadUnaligned(fromByteOffset: 2 * stride, as: SIMD4<Float>.self),
                           toByteOffset: 2 * stride, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.3 + raw.loadUnaligned(fromByteOffset: 3 * stride, as: SIMD4<Float>.self),
                           toByteOffset: 3 * stride, as: SIMD4<Float>.self)
        } else {
            raw.storeBytes(of: blocks.0, toByteOffset: 0, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.1, toByteOffset: stride, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.2, toByteOffset: 2 * stride, as: SIMD4<Float>.self)
            raw.storeBytes(of: blocks.3, toByteOffset: 3 * stride, as: SIMD4<Float>.self)
        }
#endif
    }

    // MARK: - One step of blocks at once

    /// Philox4x32-10 of the counters c, c+1, … (one per SIMD lane: 4, or 8 and 16 in the FMA and
    /// AVX512 builds), returned as the vectors of word 0, 1, 2 and 3. The same rounds as
    /// `block(counter:key:)`.
    ///
    /// Each word lives in the low half of a 64-bit lane, so x · M is one `pmuludq` (SSE2's
    /// 32×32→64-bit multiply of the low halves) giving hi and lo at once, with no shuffles. The high
    /// halves of the lanes carry garbage through the XORs, which is harmless: the multiplies read
    /// only the low halves, and the result keeps only them.
    ///
    /// Alternatives measured in a standalone harness (four blocks per step, rounds written out,
    /// results checked equal), release build on this project's 2-core machine:
    /// 64-bit lanes ≈ 175 M blocks/s; 32-bit lanes with the even and odd lanes multiplied through
    /// a 64-bit view and recombined by masks and shifts ≈ 45 M blocks/s; 32-bit lanes split into
    /// 16-bit halves (four 16×16→32 partial products, and SSE2 has no 32-bit `pmulld` either)
    /// ≈ 37 M blocks/s.
    @inline(__always)
    static func stepBlocks(counter c: SIMD4<UInt32>, key: SIMD2<UInt32>)
        -> (PhiloxLanes, PhiloxLanes, PhiloxLanes, PhiloxLanes) {
        var x0: PhiloxWideLanes, x1: PhiloxWideLanes, x2: PhiloxWideLanes, x3: PhiloxWideLanes
        if c[0] <= UInt32.max - UInt32(blocksPerStep - 1) {
            // No carry out of word 0 within the step: the common case, by far.
            x0 = PhiloxWideLanes(repeating: UInt64(c[0])) &+ laneNumbers
            x1 = PhiloxWideLanes(repeating: UInt64(c[1]))
            x2 = PhiloxWideLanes(repeating: UInt64(c[2]))
            x3 = PhiloxWideLanes(repeating: UInt64(c[3]))
        } else {
            x0 = PhiloxWideLanes(); x1 = x0; x2 = x0; x3 = x0
            for lane in 0..<blocksPerStep {
                let counter = counter(c, plus: UInt64(lane))
                x0[lane] = UInt64(counter[0]); x1[lane] = UInt64(counter[1])
                x2[lane] = UInt64(counter[2]); x3[lane] = UInt64(counter[3])
            }
        }
        // Ten rounds written out: a loop with a conditional key bump defeats LLVM's unrolling.
        var k0 = UInt64(key[0])
        var k1 = UInt64(key[1])
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1); k0 &+= UInt64(weyl0); k1 &+= UInt64(weyl1)
        round(&x0, &x1, &x2, &x3, k0, k1)
        return (PhiloxLanes(truncatingIfNeeded: x0), PhiloxLanes(truncatingIfNeeded: x1),
                PhiloxLanes(truncatingIfNeeded: x2), PhiloxLanes(truncatingIfNeeded: x3))
    }

    /// 0, 1, 2, … per lane: lane i holds block counter + i.
    @inline(__always)
    static var laneNumbers: PhiloxWideLanes {
#if NOISYOPTIM_AVX512
        PhiloxWideLanes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#elseif NOISYOPTIM_FMA
        PhiloxWideLanes(0, 1, 2, 3, 4, 5, 6, 7)
#else
        PhiloxWideLanes(0, 1, 2, 3)
#endif
    }

    /// One Philox round on a step's blocks; only the low 32 bits of each lane are meaningful (the key
    /// words' high halves are 0 but the key may wrap past 2³², which the low halves ignore).
    @inline(__always)
    static func round(_ x0: inout PhiloxWideLanes, _ x1: inout PhiloxWideLanes,
                      _ x2: inout PhiloxWideLanes, _ x3: inout PhiloxWideLanes, _ k0: UInt64, _ k1: UInt64) {
        let low32 = PhiloxWideLanes(repeating: 0xFFFF_FFFF)
        let product0 = (x0 & low32) &* PhiloxWideLanes(repeating: UInt64(multiplier0))
        let product1 = (x2 & low32) &* PhiloxWideLanes(repeating: UInt64(multiplier1))
        x0 = (product1 &>> 32) ^ x1 ^ PhiloxWideLanes(repeating: k0)
        x2 = (product0 &>> 32) ^ x3 ^ PhiloxWideLanes(repeating: k1)
        x1 = product1
        x3 = product0
    }
}

// MARK: - The three kernels

struct UniformKernel: PhiloxFillKernel {
    static var accumulates: Bool { false }
    @inline(__always)
    func values(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
        -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats) {
        (unitInterval(x0), unitInterval(x1), unitInterval(x2), unitInterval(x3))
    }
}

struct NormalKernel: PhiloxFillKernel {
    var mean: Float
    var standardDeviation: Float
    static var accumulates: Bool { false }
    @inline(__always)
    func values(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
        -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats) {
        let (z0, z1, z2, z3) = boxMullerBlocks(x0, x1, x2, x3)
        return (mean + standardDeviation * z0, mean + standardDeviation * z1,
                mean + standardDeviation * z2, mean + standardDeviation * z3)
    }
}

struct AddNormalKernel: PhiloxFillKernel {
    var standardDeviation: Float
    static var accumulates: Bool { true }
    @inline(__always)
    func values(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
        -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats) {
        let (z0, z1, z2, z3) = boxMullerBlocks(x0, x1, x2, x3)
        return (standardDeviation * z0, standardDeviation * z1, standardDeviation * z2, standardDeviation * z3)
    }
}

// MARK: - Uniforms, Box–Muller and its elementary functions

/// u = (⌊x / 2⁸⌋ + 1) · 2⁻²⁴ ∈ (0, 1]. The integer has at most 25 bits, so the conversion is exact
/// and may go through signed Int32 (SSE2 has no unsigned conversion).
@inline(__always)
func unitInterval(_ x: PhiloxLanes) -> PhiloxFloats {
    PhiloxFloats(PhiloxInts(truncatingIfNeeded: (x &>> 8) &+ 1)) * 0x1p-24
}

/// The four standard normals of each block of a step: (z₀, z₁) from words (x₀, x₁) and (z₂, z₃)
/// from (x₂, x₃), see `boxMuller`. Kept out of line on purpose (see the note at the top of the file).
@inline(never)
func boxMullerBlocks(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
    -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats) {
    let (z0, z1) = boxMuller(radius: x0, angle: x1)
    let (z2, z3) = boxMuller(radius: x2, angle: x3)
    return (z0, z1, z2, z3)
}

/// The Box–Muller pair (r cos θ, r sin θ) with r = √(−2 ln u(radius)), θ = 2π · ⌊angle / 2⁸⌋ · 2⁻²⁴
/// (Box and Muller 1958, "A note on the generation of random normal deviates").
@inline(__always)
func boxMuller(radius: PhiloxLanes, angle: PhiloxLanes) -> (PhiloxFloats, PhiloxFloats) {
    let r = nonNegativeSquareRoot(minusTwoLog(unitInterval(radius)))
    let (sine, cosine) = sinCosTurns(angle &>> 8)
    return (r * cosine, r * sine)
}

/// √x lane by lane for x ≥ 0 (−0 included). `SIMD.squareRoot()` calls `sqrtf` per lane, which must
/// set `errno` for negative inputs, so LLVM keeps a compare and a branch per lane; taking the
/// magnitude first proves the input non-negative and lets it emit one `sqrtps` per register.
@inline(__always)
func nonNegativeSquareRoot(_ x: PhiloxFloats) -> PhiloxFloats {
    var result = PhiloxFloats()
    for lane in x.indices { result[lane] = x[lane].magnitude.squareRoot() }
    return result
}

/// −2 ln u for u ∈ (0, 1] (normal, positive floats in general).
///
/// Writes u = 2ᵉ · f with f ∈ [√½, √2) by integer arithmetic on the bit pattern, then
/// ln u = e · ln 2 + ln(1 + t), t = f − 1 ∈ [−0.293, 0.415], with
/// ln(1 + t) ≈ t − t²/2 + t³ · P(t) and P of degree 6, a minimax fit of relative error 3·10⁻⁸ made
/// for this file (Lawson's iteratively reweighted least squares, coefficients rounded to Float).
/// ln 2 is split in two (0.693359375 is exact in 10 bits) so e · ln 2 adds no rounding error.
/// Accuracy: on every u = k · 2⁻²⁴, k = 1 … 2²⁴ (the inputs Box–Muller uses), evaluating exactly
/// these Float operations (simulated in NumPy float32) gives ≤ 1.16 ULP of ln u and ≤ 1.12 ULP for
/// the radius √(−2 ln u), against Double; `minusTwoLogIsWithinOneAndAHalfULP` re-checks a grid
/// against Foundation's `log` with a 1.5 ULP tolerance.
@inline(__always)
func minusTwoLog(_ u: PhiloxFloats) -> PhiloxFloats {
    let bits = unsafeBitCast(u, to: PhiloxInts.self)
    // Subtracting the bits of √½ makes the exponent field roll over exactly where f reaches √2.
    let exponent = (bits &- 0x3F35_04F3) &>> 23
    let f = unsafeBitCast(bits &- (exponent &<< 23), to: PhiloxFloats.self)
    let e = PhiloxFloats(exponent)
    let t = f - 1
    var p = PhiloxFloats(repeating: 0.08700494)
    p = p * t + -0.14267597
    p = p * t + 0.14914797
    p = p * t + -0.16577573
    p = p * t + 0.1996306
    p = p * t + -0.25001338
    p = p * t + 0.3333391
    let t2 = t * t
    let correction = (t2 * t) * p + e * -0.00021219444 - 0.5 * t2
    let logarithm = (t + correction) + e * 0.693359375
    return -2 * logarithm
}

/// (sin 2πa·2⁻²⁴, cos 2πa·2⁻²⁴) for integers a ∈ [0, 2²⁴), i.e. an angle given in 2⁻²⁴ turns.
///
/// Because the angle is a fraction of a turn, range reduction is exact integer arithmetic: q is
/// the nearest quarter turn and r = a·2⁻²⁴ − q/4 ∈ [−⅛, ⅛) turns. Then
/// sin 2πr ≈ r · (s₁ + s₃r² + s₅r⁴ + s₇r⁶) and cos 2πr ≈ 1 + r² · (c₂ + c₄r² + c₆r⁴), minimax fits
/// (relative errors 3·10⁻⁹ and 4·10⁻⁸; Lawson's method as for `minusTwoLog`), and the quadrant q rotates the pair:
/// (sin, cos)(θ + qπ/2) = (s, c), (c, −s), (−s, −c), (−c, s) for q = 0, 1, 2, 3.
/// Accuracy: on every reduced argument (all 2²² values of r), ≤ 1.74 ULP for sin and ≤ 1.75 ULP
/// for cos against Double (same float32 simulation); `sinCosTurnsIsWithinTwoULP` re-checks a grid
/// of all quadrants against Foundation's `sin`/`cos` with a 2 ULP tolerance.
@inline(__always)
func sinCosTurns(_ a: PhiloxLanes) -> (sine: PhiloxFloats, cosine: PhiloxFloats) {
    let quadrant = (a &+ (1 << 21)) &>> 22
    let remainder = PhiloxInts(truncatingIfNeeded: a &- (quadrant &<< 22))
    let r = PhiloxFloats(remainder) * 0x1p-24
    let r2 = r * r
    var s = PhiloxFloats(repeating: -75.3935)
    s = s * r2 + 81.592354
    s = s * r2 + -41.34166
    s = s * r2 + 6.2831855
    s = s * r
    var c = PhiloxFloats(repeating: -83.62911)
    c = c * r2 + 64.922424
    c = c * r2 + -19.739162
    c = c * r2 + 1
    // Odd quadrants swap sine and cosine; quadrants 2, 3 negate the sine, quadrants 1, 2 the cosine.
    let swap = PhiloxLanes(repeating: 0) &- (quadrant & 1)
    let sBits = unsafeBitCast(s, to: PhiloxLanes.self)
    let cBits = unsafeBitCast(c, to: PhiloxLanes.self)
    let sineBits = ((cBits & swap) | (sBits & ~swap)) ^ ((quadrant & 2) &<< 30)
    let cosineBits = ((sBits & swap) | (cBits & ~swap)) ^ (((quadrant &+ 1) & 2) &<< 30)
    return (unsafeBitCast(sineBits, to: PhiloxFloats.self), unsafeBitCast(cosineBits, to: PhiloxFloats.self))
}
