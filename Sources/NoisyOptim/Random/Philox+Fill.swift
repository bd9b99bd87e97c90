// Philox+Fill: the vectorized uniform fill, four Philox blocks per SIMD step (eight and sixteen in
// the FMA and AVX512 builds), threaded over contiguous stretches of blocks so the result never
// depends on the thread count; and `stepBlocks`, which the normal stream's seeding shares.
// The multiplies use 64-bit lanes (see `stepBlocks`).

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

    /// `count` samples of U(0, 1], as `fillUniform` produces them.
    public mutating func uniformFloats(count: Int) -> [Float] {
        check(count >= 0, "uniformFloats: count must be non-negative, got \(count)")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillUniform(buffer)
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
        // multiplies to overlap (fillUniform 570 → 675 M/s).
        while offset + 2 * floatsPerStep <= count {
            let next = Self.counter(counter, plus: UInt64(blocksPerStep))
            let (a0, a1, a2, a3) = stepBlocks(counter: counter, key: key)
            let (b0, b1, b2, b3) = stepBlocks(counter: next, key: key)
            let (v0, v1, v2, v3) = kernel.values(a0, a1, a2, a3)
            writeTransposed(v0, v1, v2, v3, to: base + offset)
            let (w0, w1, w2, w3) = kernel.values(b0, b1, b2, b3)
            writeTransposed(w0, w1, w2, w3, to: base + offset + floatsPerStep)
            counter = Self.counter(next, plus: UInt64(blocksPerStep))
            offset += 2 * floatsPerStep
        }
        while offset + floatsPerStep <= count {
            let (x0, x1, x2, x3) = stepBlocks(counter: counter, key: key)
            let (v0, v1, v2, v3) = kernel.values(x0, x1, x2, x3)
            writeTransposed(v0, v1, v2, v3, to: base + offset)
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
            writeTransposed(v0, v1, v2, v3, to: scratch)
            let destination = base + offset
            for i in 0..<(count - offset) {
                destination[i] = scratch[i]
            }
        }
    }

    /// Writes block b's four values (v0[b], v1[b], v2[b], v3[b]) to positions 4b … 4b+3: a 4×4
    /// transpose (per four blocks) from one-vector-per-word to the buffer's block order.
    @inline(__always)
    static func writeTransposed(_ v0: PhiloxFloats, _ v1: PhiloxFloats, _ v2: PhiloxFloats, _ v3: PhiloxFloats,
                                to destination: UnsafeMutablePointer<Float>) {
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
        raw.storeBytes(of: parts.0, toByteOffset: 0, as: Stored.self)
        raw.storeBytes(of: parts.1, toByteOffset: stride, as: Stored.self)
        raw.storeBytes(of: parts.2, toByteOffset: 2 * stride, as: Stored.self)
        raw.storeBytes(of: parts.3, toByteOffset: 3 * stride, as: Stored.self)
#else
        let stride = MemoryLayout<SIMD4<Float>>.size
        let blocks = (SIMD4(v0[0], v1[0], v2[0], v3[0]), SIMD4(v0[1], v1[1], v2[1], v3[1]),
                      SIMD4(v0[2], v1[2], v2[2], v3[2]), SIMD4(v0[3], v1[3], v2[3], v3[3]))
        raw.storeBytes(of: blocks.0, toByteOffset: 0, as: SIMD4<Float>.self)
        raw.storeBytes(of: blocks.1, toByteOffset: stride, as: SIMD4<Float>.self)
        raw.storeBytes(of: blocks.2, toByteOffset: 2 * stride, as: SIMD4<Float>.self)
        raw.storeBytes(of: blocks.3, toByteOffset: 3 * stride, as: SIMD4<Float>.self)
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

// MARK: - The uniform kernel

struct UniformKernel: PhiloxFillKernel {
    @inline(__always)
    func values(_ x0: PhiloxLanes, _ x1: PhiloxLanes, _ x2: PhiloxLanes, _ x3: PhiloxLanes)
        -> (PhiloxFloats, PhiloxFloats, PhiloxFloats, PhiloxFloats) {
        (unitInterval(x0), unitInterval(x1), unitInterval(x2), unitInterval(x3))
    }
}

// MARK: - Uniforms

/// u = (⌊x / 2⁸⌋ + 1) · 2⁻²⁴ ∈ (0, 1]. The integer has at most 25 bits, so the conversion is exact
/// and may go through signed Int32 (SSE2 has no unsigned conversion).
@inline(__always)
func unitInterval(_ x: PhiloxLanes) -> PhiloxFloats {
    PhiloxFloats(PhiloxInts(truncatingIfNeeded: (x &>> 8) &+ 1)) * 0x1p-24
}
