// Philox+Normal: the normal stream. Philox keys eight xoshiro128++ lanes per chunk of 1024
// positions and a 1024-layer ziggurat turns each 32-bit word into a normal; chunks are threaded,
// so values never depend on the thread count, and any stretch of positions can be computed alone.
//
// Why not Box–Muller over Philox words (the stream until December 2026): each normal needed one
// Philox word, and on baseline x86-64 the Philox blocks alone run at ~885 M words/s per core, so
// that stream could not reach twice its ~350 M normals/s whatever the transform. Philox now only
// seeds the lanes (9 blocks per 1024 normals); the lanes' words cost ~0.5 ns each, and the
// ziggurat's fast path (99.57% of draws) is a table lookup, a multiply and an integer compare.
//
// Codegen notes (baseline x86-64, SSE2), each from the disassembly and `noisyoptim-bench random`:
// - The right-shift counts of xoshiro128++'s two rotations are read from `NormalStream.shifts`
//   instead of written as literals: seeing both counts, LLVM turns a rotation into a funnel shift
//   that it then scalarizes lane by lane (`rol` on general registers). One opaque count per
//   rotation is enough, and each costs a register (sixteen in SSE2).
// - xoshiro128++ rather than xoshiro128** (the lanes' generator until 2026-12-01, 17:00 UTC): the
//   same state update and, per the authors, the same quality on all 32 bits, but its scrambler
//   rotl(s₀ + s₃, 7) + s₀ is 7 instructions per vector where ** 's two multiplies-by-shifts and
//   rotation were 11: 141 → 130 instructions per row, 0.88 → 0.80 ns per normal in a harness.
// - The eight lanes run as two SIMD4 halves, each a separate dependency chain.
// - Draws that miss the fast path are not handled in the row loop: a row with any miss is
//   appended (branch-free) to a list, resolved after the chunk (a branchy scalar path in the loop
//   cost as much as the whole fast path).

import Foundation

/// The layout of the normal stream: which words make which normals.
///
/// The stream of a generator at (key k, counter c) is cut into chunks of 1024 positions; chunk j
/// owns the 256 counters c + 256j … c + 256j + 255 (so a fill of n normals consumes
/// 256·⌈n / 1024⌉ blocks, the same 4 blocks per 16 normals as a uniform fill, rounded up to whole
/// chunks). Within chunk j:
///
/// - lane l ∈ 0 ..< 8 is a xoshiro128++ generator (Blackman and Vigna 2021, "Scrambled linear
///   pseudorandom number generators", ACM TOMS 47(4)) whose state (s₀, s₁, s₂, s₃) is the block
///   Philox_k(c + 256j + l) (an all-zero block, probability 2⁻¹²⁸, gets s₀ = 1);
/// - position 8m + l is made from output m of lane l by the ziggurat (see `Ziggurat`);
/// - the rare draws that miss the ziggurat's fast path take further words, in position order, from
///   a ninth xoshiro128++ generator seeded by Philox_k(c + 256j + 8).
///
/// So a value depends only on (k, c, position), and distinct chunks, counters and keys never share
/// a lane: every lane starts from its own Philox block.
enum NormalStream {
    /// Positions per chunk.
    static let chunkSize = 1024
    /// Philox counters per chunk (4 per 16 normals, as for uniforms).
    static let countersPerChunk = 256
    /// Lanes per chunk: a row of positions 8m … 8m + 7.
    static let lanes = 8
    /// Rows per chunk.
    static let rows = chunkSize / lanes
    /// Entries of the list of rows with a miss (4.3 of 128 rows on average); a power of two.
    static let listCapacity = 32
    /// Below this many chunks per thread, a second thread costs more than it saves (~0.2 ms of work).
    static let minimumChunksPerThread = 128

    /// The right-shift counts 25 and 21 of xoshiro128++'s rotations left by 7 and by 11. Kept in
    /// memory on purpose (see the note at the top of the file); never written, so read without the
    /// runtime's exclusivity check (a `swift_beginAccess` per chunk).
    @usableFromInline @exclusivity(unchecked) nonisolated(unsafe) static var shifts: SIMD2<UInt32> = [25, 21]

    /// 0, kept in memory so that LLVM cannot fold it (see `CopyAddUpdateKernel.relay`); never written.
    @usableFromInline @exclusivity(unchecked) nonisolated(unsafe) static var opaqueZero = 0

    /// Blocks consumed by a fill of `count` normals.
    static func countersConsumed(byNormals count: Int) -> UInt64 {
        UInt64((count + chunkSize - 1) / chunkSize) * UInt64(countersPerChunk)
    }
}

/// The shift counts as scalars, loaded once per fill.
struct XoshiroShifts {
    let twentyFive: UInt32, twentyOne: UInt32

    @inline(__always)
    init() {
        let s = NormalStream.shifts
        twentyFive = s[0]; twentyOne = s[1]
    }
}

/// Four xoshiro128++ generators, one per lane.
struct XoshiroLanes {
    var s0: SIMD4<UInt32>, s1: SIMD4<UInt32>, s2: SIMD4<UInt32>, s3: SIMD4<UInt32>

    /// Lanes seeded by four Philox blocks given as the vectors of their words 0 … 3.
    @inline(__always)
    init(_ w0: SIMD4<UInt32>, _ w1: SIMD4<UInt32>, _ w2: SIMD4<UInt32>, _ w3: SIMD4<UInt32>) {
        let zero = (w0 | w1 | w2 | w3) .== 0
        s0 = w0.replacing(with: 1, where: zero)
        s1 = w1; s2 = w2; s3 = w3
    }

    /// The next output of each lane: rotl(s₀ + s₃, 7) + s₀, then the state update
    /// s₂ ^= s₀, s₃ ^= s₁, s₁ ^= s₂, s₀ ^= s₃, s₂ ^= s₁ ≪ 9 (the old s₁), s₃ = rotl(s₃, 11).
    @inline(__always)
    mutating func next(_ h: XoshiroShifts) -> SIMD4<UInt32> {
        let sum = s0 &+ s3
        let result = ((sum &<< 7) | (sum &>> h.twentyFive)) &+ s0
        let t = s1 &<< 9
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 &<< 11) | (s3 &>> h.twentyOne)
        return result
    }
}

/// One scalar xoshiro128++ generator: the chunk's spare stream for the slow path.
struct Xoshiro128PlusPlus {
    var s0: UInt32, s1: UInt32, s2: UInt32, s3: UInt32

    init(block: SIMD4<UInt32>) {
        s0 = block == .zero ? 1 : block[0]
        s1 = block[1]; s2 = block[2]; s3 = block[3]
    }

    @inline(__always)
    mutating func next() -> UInt32 {
        let sum = s0 &+ s3
        let result = ((sum << 7) | (sum >> 25)) &+ s0
        let t = s1 << 9
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 << 11) | (s3 >> 21)
        return result
    }

    /// A uniform on (0, 1): (w + ½)·2⁻³², never 0 or 1, so safe under a logarithm.
    @inline(__always)
    mutating func nextOpenUnit() -> Double { (Double(next()) + 0.5) * 0x1p-32 }
}

/// The ziggurat of Marsaglia and Tsang (2000, "The ziggurat method for generating random
/// variables", J. Stat. Softw. 5(8)) for N(0, 1), with 1024 layers of equal area under
/// f(x) = exp(−x²/2) and the layer index, sign and abscissa taken from disjoint bits of one word
/// (Doornik 2005 showed that reusing the index bits in the abscissa correlates successive draws).
///
/// For a 32-bit word w: layer i = w mod 2¹⁰, sign = bit 10, u = ⌊w / 2¹¹⌋ (21 bits). The
/// candidate is x = u·xᵢ·2⁻²¹; if u < kᵢ (x inside the layer's inner rectangle) the result is ±x:
/// the fast path, 99.57% of words. Otherwise (the slow path, in Double, with uniforms U from the
/// spare stream):
///
/// - layer 0 (the base strip and the tail beyond r = x₁ ≈ 4.0388): Marsaglia's tail method,
///   a = −ln(U₁)/r and b = −ln(U₂) until 2b ≥ a², then ±(r + a);
/// - a wedge (i ≥ 1): y = f(xᵢ) + U·(f(xᵢ₊₁) − f(xᵢ)); ±x if y < f(x), else a new word from the
///   spare stream starts over (fast path first).
///
/// The tables are exact literals (`Scripts/make_ziggurat_tables.py`), so every platform and build
/// produces the same values; the fast path is one Float multiply, the same in every build.
enum Ziggurat {
    static let layers = 1024

    /// The slow path for a word that missed the fast path (or any word: it takes the fast path when
    /// it can), drawing further uniforms from `spare`.
    @inline(never)
    static func slowNormal(_ word: UInt32, spare: inout Xoshiro128PlusPlus,
                           fast: UnsafePointer<UInt32>, edges: UnsafePointer<Double>, heights: UnsafePointer<Double>) -> Float {
        var w = word
        while true {
            let i = Int(w & 1023), u = w >> 11
            let negative = w & 0x400 != 0
            if u < fast[2 * i + 1] {
                let z = Float(bitPattern: fast[2 * i]) * Float(u)
                return negative ? -z : z
            }
            if i == 0 {
                let r = edges[1]
                while true {
                    let a = -Foundation.log(spare.nextOpenUnit()) / r
                    let b = -Foundation.log(spare.nextOpenUnit())
                    if b + b >= a * a {
                        let z = Float(r + a)
                        return negative ? -z : z
                    }
                }
            }
            let x = Double(u) * edges[i] * 0x1p-21
            let y = heights[i] + Double(spare.next()) * 0x1p-32 * (heights[i + 1] - heights[i])
            if y < Foundation.exp(-0.5 * x * x) {
                let z = Float(x)
                return negative ? -z : z
            }
            w = spare.next()
        }
    }

    /// The fast path on four words: the candidates ±u·xᵢ·2⁻²¹ and, per lane, all ones where the
    /// word missed the fast path (its value is then a placeholder).
    @inline(__always)
    static func fastPath(_ w: SIMD4<UInt32>, _ pairs: UnsafeRawPointer) -> (SIMD4<Float>, missed: SIMD4<UInt32>) {
        // Byte offsets of the layers' pairs, read as 16-bit halves so that each is one `pextrw`.
        let offsets = unsafeBitCast((w &<< 3) & SIMD4(repeating: 0x1FF8), to: SIMD8<UInt16>.self)
        let p0 = pairs.loadUnaligned(fromByteOffset: Int(offsets[0]), as: SIMD2<UInt32>.self)
        let p1 = pairs.loadUnaligned(fromByteOffset: Int(offsets[2]), as: SIMD2<UInt32>.self)
        let p2 = pairs.loadUnaligned(fromByteOffset: Int(offsets[4]), as: SIMD2<UInt32>.self)
        let p3 = pairs.loadUnaligned(fromByteOffset: Int(offsets[6]), as: SIMD2<UInt32>.self)
        let width = unsafeBitCast(SIMD4(p0[0], p1[0], p2[0], p3[0]), to: SIMD4<Float>.self)
        let threshold = SIMD4<Int32>(truncatingIfNeeded: SIMD4(p0[1], p1[1], p2[1], p3[1]))
        let u = SIMD4<Int32>(truncatingIfNeeded: w &>> 11) // < 2²¹: signed compare and conversion are exact
        let magnitude = width * SIMD4<Float>(u)
        let signed = unsafeBitCast(magnitude, to: SIMD4<UInt32>.self) ^ ((w &<< 21) & SIMD4(repeating: 0x8000_0000))
        let missed = SIMD4<UInt32>(repeating: 0).replacing(with: .max, where: u .>= threshold)
        return (unsafeBitCast(signed, to: SIMD4<Float>.self), missed)
    }

    /// True if `w` misses the fast path.
    @inline(__always)
    static func misses(_ w: UInt32, _ fast: UnsafePointer<UInt32>) -> Bool {
        (w >> 11) >= fast[2 * Int(w & 1023) + 1]
    }
}

/// What a normal fill does with the normals z of a stretch of positions. Offsets count from the
/// stretch's first position.
protocol NormalFillKernel {
    /// Writes the values for the four positions from `offset` on; lanes set in `missed` are written
    /// again later by `store(_:at:)` (what they hold meanwhile does not matter, but the other lanes
    /// must be final).
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int)
    /// Writes the value for one position.
    func store(_ z: Float, at offset: Int)
}

/// buffer[i] = mean + σ·zᵢ.
struct FillNormalKernel: NormalFillKernel {
    var buffer: UnsafeMutablePointer<Float>
    var mean: Float
    var standardDeviation: Float

    @inline(__always)
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int) {
        UnsafeMutableRawPointer(buffer + offset).storeBytes(of: mean + standardDeviation * z, as: SIMD4<Float>.self)
    }

    @inline(__always)
    func store(_ z: Float, at offset: Int) { buffer[offset] = mean + standardDeviation * z }
}

/// buffer[i] = 0 + 1·zᵢ, i.e. zᵢ with −0 written as +0: `FillNormalKernel` for the defaults, with two
/// registers fewer in the row loop.
struct StandardNormalKernel: NormalFillKernel {
    var buffer: UnsafeMutablePointer<Float>

    @inline(__always)
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int) {
        UnsafeMutableRawPointer(buffer + offset).storeBytes(of: z + 0, as: SIMD4<Float>.self)
    }

    @inline(__always)
    func store(_ z: Float, at offset: Int) { buffer[offset] = z + 0 }
}

/// buffer[i] += σ·zᵢ, rounded once; a lane that missed the fast path keeps its value until its
/// z is known.
struct AddNormalKernel: NormalFillKernel {
    var buffer: UnsafeMutablePointer<Float>
    var standardDeviation: Float

    @inline(__always)
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int) {
        let raw = UnsafeMutableRawPointer(buffer + offset)
        let old = raw.loadUnaligned(as: SIMD4<Float>.self)
        let new = unsafeBitCast(old + standardDeviation * z, to: SIMD4<UInt32>.self)
        let kept = (new & ~missed) | (unsafeBitCast(old, to: SIMD4<UInt32>.self) & missed)
        raw.storeBytes(of: unsafeBitCast(kept, to: SIMD4<Float>.self), as: SIMD4<Float>.self)
    }

    @inline(__always)
    func store(_ z: Float, at offset: Int) { buffer[offset] += standardDeviation * z }
}

/// buffer[i] = s·source[i] + σ·zᵢ (s = ±1, exact), rounded once: a noisy copy in one pass, the
/// same bits as copying ±source and then adding σ·z.
struct CopyAddNormalKernel: NormalFillKernel {
    var source: UnsafePointer<Float>
    var buffer: UnsafeMutablePointer<Float>
    var sign: Float
    var standardDeviation: Float

    @inline(__always)
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int) {
        let x = UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD4<Float>.self)
        UnsafeMutableRawPointer(buffer + offset).storeBytes(of: sign * x + standardDeviation * z, as: SIMD4<Float>.self)
    }

    @inline(__always)
    func store(_ z: Float, at offset: Int) { buffer[offset] = sign * source[offset] + standardDeviation * z }
}

/// d = s·source[i] + σ·zᵢ (the bits of `CopyAddNormalKernel`) handed straight to a rule's
/// per-position update instead of being stored: noise and update in one pass, so the update's
/// loads and stores of θ and its state spread over the generator's arithmetic instead of
/// waiting for it. A lane that missed the fast path is left alone (a masked update, branch-free:
/// a branch to a partial update made LLVM scalarize or spill the whole row) and updated when its z
/// is known.
struct CopyAddUpdateKernel<Update: LaneUpdate, Sign: DirectionSign>: NormalFillKernel {
    var source: UnsafePointer<Float>
    var standardDeviation: Float
    var update: Update
    /// Four floats of L1 that d passes through, at an address LLVM cannot see is the one it just
    /// stored to (`opaqueZero`): handed over in registers, the ziggurat's arithmetic and the update
    /// compiled as one expression that the SLP vectorizer partly scalarized and reshuffled (about 250
    /// instructions a row instead of 190, 2.5× slower).
    var relay: UnsafeMutablePointer<Float>
    var opaqueZero: Int

    @inline(__always)
    func store(_ z: SIMD4<Float>, missed: SIMD4<UInt32>, at offset: Int) {
        let d = Sign.apply(UnsafeRawPointer(source + offset).loadUnaligned(as: SIMD4<Float>.self)) + standardDeviation * z
        UnsafeMutableRawPointer(relay).storeBytes(of: d, as: SIMD4<Float>.self)
        let back = UnsafeRawPointer(bitPattern: Int(bitPattern: relay) ^ opaqueZero).unsafelyUnwrapped
        update.update(back.loadUnaligned(as: SIMD4<Float>.self), at: offset,
                      skipping: SIMD4<Int32>(truncatingIfNeeded: missed) .!= 0)
    }

    @inline(__always)
    func store(_ z: Float, at offset: Int) { update.update(Sign.apply(source[offset]) + standardDeviation * z, at: offset) }
}

/// +g or −g (maximizing) as a type, so the row loop has no multiply or select for it. Negation is
/// exact, as the general path's multiply by −1 is.
protocol DirectionSign {
    static func apply(_ x: SIMD4<Float>) -> SIMD4<Float>
    static func apply(_ x: Float) -> Float
}

enum PlusSign: DirectionSign {
    @inline(__always) static func apply(_ x: SIMD4<Float>) -> SIMD4<Float> { x }
    @inline(__always) static func apply(_ x: Float) -> Float { x }
}

enum MinusSign: DirectionSign {
    @inline(__always) static func apply(_ x: SIMD4<Float>) -> SIMD4<Float> { -x }
    @inline(__always) static func apply(_ x: Float) -> Float { -x }
}

extension Philox4x32 {
    // MARK: - Public fills

    /// Fills `buffer` with independent samples of N(mean, standardDeviation²): position i is
    /// mean + σ·zᵢ, with zᵢ the normal stream's value i from this generator's state (see
    /// `normals(into:from:mean:standardDeviation:)` for the stream's layout).
    ///
    /// The normals come from a 1024-layer ziggurat (Marsaglia and Tsang 2000) over xoshiro128++
    /// lanes that Philox seeds, so they are exact up to Float rounding (no truncation of the tail: the
    /// largest |z| is about 9.6). Consumes 256·⌈count / 1024⌉ blocks, so consecutive fills never
    /// share a lane; a half block buffered by `next()` is dropped first.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>,
                                    mean: Float = 0, standardDeviation: Float = 1) {
        dropBuffered()
        normals(into: buffer, from: 0, mean: mean, standardDeviation: standardDeviation)
        advanceCounter(by: NormalStream.countersConsumed(byNormals: buffer.count))
    }

    /// Adds σ·z to every element, z being exactly the values `fillNormal` would produce from the
    /// same state (so the result is buffer[i] + σ·z[i], rounded once). The gradient-noise kernel: one
    /// pass over the buffer, no temporary. Consumes the same blocks as `fillNormal`.
    public mutating func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, standardDeviation: Float) {
        dropBuffered()
        addNormal(to: buffer, from: 0, standardDeviation: standardDeviation)
        advanceCounter(by: NormalStream.countersConsumed(byNormals: buffer.count))
    }

    /// `count` samples of N(mean, standardDeviation²), as `fillNormal` produces them.
    public mutating func normalFloats(count: Int, mean: Float = 0, standardDeviation: Float = 1) -> [Float] {
        check(count >= 0, "normalFloats: count must be non-negative, got \(count)")
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fillNormal(buffer, mean: mean, standardDeviation: standardDeviation)
            initialized = count
        }
    }

    /// Writes mean + σ·zᵢ for the positions i = `position` ..< `position` + buffer.count of the normal
    /// stream that starts at this generator's counter, without changing the generator: the random
    /// access that lets a noise source compute any block of a step alone.
    ///
    /// The stream (key k, counter c): chunk j = ⌊i / 1024⌋ owns counters c + 256j …; its eight
    /// lanes are xoshiro128++ generators seeded by the Philox blocks c + 256j + l, l < 8, and
    /// position 1024j + 8m + l is the ziggurat of lane l's output m (layer = its low 10 bits,
    /// sign = bit 10, abscissa = its top 21 bits). The 0.43% of words that miss the ziggurat's fast
    /// path draw further words, in position order, from a ninth generator seeded by block
    /// c + 256j + 8, so a stretch that starts inside a chunk replays the chunk's earlier rows
    /// (computing, not storing, them). The cost is the same for every position; a value never
    /// depends on the thread count or on where a stretch starts.
    public func normals(into buffer: UnsafeMutableBufferPointer<Float>, from position: Int,
                        mean: Float = 0, standardDeviation: Float = 1) {
        guard let base = buffer.baseAddress else { return }
        if mean == 0 && standardDeviation == 1 {
            run(StandardNormalKernel(buffer: base), count: buffer.count, from: position)
        } else {
            run(FillNormalKernel(buffer: base, mean: mean, standardDeviation: standardDeviation), count: buffer.count, from: position)
        }
    }

    /// buffer[k] += σ·z for the stream's positions `position + k`, without changing the generator
    /// (see `normals(into:from:mean:standardDeviation:)`).
    public func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, from position: Int, standardDeviation: Float) {
        guard let base = buffer.baseAddress else { return }
        run(AddNormalKernel(buffer: base, standardDeviation: standardDeviation), count: buffer.count, from: position)
    }

    /// buffer[k] = ±source[k] + σ·z for the stream's positions `position + k` (`negate` for −),
    /// without changing the generator: the noisy copy of a gradient block in one pass.
    func copyAddingNormal(from source: UnsafePointer<Float>, negate: Bool, into buffer: UnsafeMutableBufferPointer<Float>,
                          from position: Int, standardDeviation: Float) {
        guard let base = buffer.baseAddress else { return }
        run(CopyAddNormalKernel(source: source, buffer: base, sign: negate ? -1 : 1, standardDeviation: standardDeviation),
            count: buffer.count, from: position)
    }

    /// `normals(into:from:)` (standard normals) with a list of missed rows of `listCapacity` rows: for
    /// tests of the list's overflow, whose values must be the same.
    func normals(into buffer: UnsafeMutableBufferPointer<Float>, from position: Int, listCapacity: Int) {
        guard let base = buffer.baseAddress else { return }
        run(StandardNormalKernel(buffer: base), count: buffer.count, from: position, listCapacity: listCapacity)
    }

    /// `addNormal(to:from:standardDeviation:)` with a list of missed rows of `listCapacity` rows (see
    /// `normals(into:from:listCapacity:)`): a kernel that must not write a position twice.
    func addNormal(to buffer: UnsafeMutableBufferPointer<Float>, from position: Int, standardDeviation: Float,
                   listCapacity: Int) {
        guard let base = buffer.baseAddress else { return }
        run(AddNormalKernel(buffer: base, standardDeviation: standardDeviation), count: buffer.count, from: position,
            listCapacity: listCapacity)
    }

    /// `update` applied to d = ±source[k] + σ·z for the stream's positions `position + k`, k < `count`
    /// (the values `copyAddingNormal` would write), without changing the generator.
    func copyAddingNormal<Update: LaneUpdate>(from source: UnsafePointer<Float>, negate: Bool, count: Int, from position: Int,
                                              standardDeviation: Float, updating update: Update) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4) { relay in
            let relay = relay.baseAddress!, zero = NormalStream.opaqueZero
            if negate {
                run(CopyAddUpdateKernel<Update, MinusSign>(source: source, standardDeviation: standardDeviation, update: update,
                                                           relay: relay, opaqueZero: zero), count: count, from: position)
            } else {
                run(CopyAddUpdateKernel<Update, PlusSign>(source: source, standardDeviation: standardDeviation, update: update,
                                                          relay: relay, opaqueZero: zero), count: count, from: position)
            }
        }
    }

    // MARK: - Driver

    /// Runs `kernel` over the positions `position ..< position + count` (offsets 0 ..< count), chunk by
    /// chunk, on up to `Parallelism.maximumThreadCount` threads (contiguous runs of whole chunks).
    ///
    /// `listCapacity` (a power of two, at most `NormalStream.listCapacity`) is lowered only by tests,
    /// to reach the list's overflow path; the values never depend on it.
    private func run<Kernel: NormalFillKernel>(_ kernel: Kernel, count: Int, from position: Int,
                                               listCapacity: Int = NormalStream.listCapacity) {
        check(listCapacity > 0 && listCapacity <= NormalStream.listCapacity && listCapacity & (listCapacity - 1) == 0,
              "the list of missed rows holds a power of two up to \(NormalStream.listCapacity) rows, got \(listCapacity)")
        check(position >= 0, "normal stream positions are non-negative, got \(position)")
        guard count > 0 else { return }
        let (end, overflow) = position.addingReportingOverflow(count)
        check(!overflow, "normal stream positions \(position) + \(count) overflow")
        let firstChunk = position / NormalStream.chunkSize
        let chunks = (end - 1) / NormalStream.chunkSize - firstChunk + 1
        let key = key, start = counter
        Parallel.forEachChunk(count: chunks, minimumChunk: NormalStream.minimumChunksPerThread) { range in
            // The list of rows with a miss: each row's words, and its index. Two allocations of at
            // most 1024 bytes at 16-byte alignment, so both on the stack: one of a whole chunk's
            // 4352 bytes at 64 was a malloc and a free per call (a noisy step calls once per block).
            withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: NormalStream.listCapacity) { words in
                withUnsafeTemporaryAllocation(of: UInt16.self, capacity: NormalStream.listCapacity) { rows in
                    Ziggurat.fastPairs.withUnsafeBufferPointer { fast in
                        Ziggurat.edges.withUnsafeBufferPointer { edges in
                            Ziggurat.heights.withUnsafeBufferPointer { heights in
                                let tables = ZigguratPointers(fast: fast.baseAddress!, edges: edges.baseAddress!,
                                                              heights: heights.baseAddress!)
                                for c in range {
                                    let chunk = firstChunk + c
                                    let chunkStart = chunk * NormalStream.chunkSize
                                    let lower = max(position, chunkStart) - chunkStart
                                    let upper = min(end, chunkStart + NormalStream.chunkSize) - chunkStart
                                    Self.normalChunk(kernel, key: key,
                                                     counter: Self.counter(start, plus: UInt64(chunk) * UInt64(NormalStream.countersPerChunk)),
                                                     positions: lower..<upper,
                                                     offset: chunkStart - position,
                                                     tables: tables, rowWords: words.baseAddress!, rowIndices: rows.baseAddress!,
                                                     listCapacity: listCapacity)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The positions `positions` (within 0 ..< 1024) of the chunk at `counter`; the chunk's position
    /// p is the kernel's offset `offset` + p.
    @inline(__always)
    private static func normalChunk<Kernel: NormalFillKernel>(
        _ kernel: Kernel, key: SIMD2<UInt32>, counter: SIMD4<UInt32>, positions: Range<Int>,
        offset origin: Int, tables: ZigguratPointers,
        rowWords: UnsafeMutablePointer<SIMD8<UInt32>>, rowIndices: UnsafeMutablePointer<UInt16>, listCapacity: Int
    ) {
        var (low, high) = laneSeeds(counter: counter, key: key)
        let endRow = (positions.upperBound + NormalStream.lanes - 1) / NormalStream.lanes
        // The spare lane's seed, before the rows when some row will almost surely miss (64 rows: 89%;
        // a whole chunk: 99%), so that its ten dependent rounds overlap the row loop instead of
        // following it (3–4% of a fill); after them, and only if needed, for short stretches.
        @inline(__always) func spareBlock() -> SIMD4<UInt32> { Philox4x32.block(counter: Self.counter(counter, plus: 8), key: key) }
        let spareSeed = endRow >= NormalStream.rows / 2 ? spareBlock() : nil
        let shifts = XoshiroShifts()
        let pairs = UnsafeRawPointer(tables.fast)
        let firstRow = positions.lowerBound / NormalStream.lanes
        let slots = listCapacity - 1
        var missedRows = 0
        // One row: the two halves' words, candidates and misses; the row joins the list if it missed
        // (past the list's capacity it overwrites earlier entries, and the misses are found again
        // below).
        @inline(__always)
        func nextRow(_ row: Int) -> (SIMD4<Float>, SIMD4<UInt32>, SIMD4<Float>, SIMD4<UInt32>) {
            let a = low.next(shifts), b = high.next(shifts)
            let (za, missedA) = Ziggurat.fastPath(a, pairs)
            let (zb, missedB) = Ziggurat.fastPath(b, pairs)
            let slot = missedRows & slots
            rowWords[slot] = SIMD8(lowHalf: a, highHalf: b)
            rowIndices[slot] = UInt16(truncatingIfNeeded: row)
            missedRows &+= any((missedA | missedB) .!= 0) ? 1 : 0
            return (za, missedA, zb, missedB)
        }
        // A row cut by the stretch's ends: its lanes one by one (misses are written later).
        @inline(__always)
        func partialRow(_ row: Int) {
            let (za, missedA, zb, missedB) = nextRow(row)
            let first = row * NormalStream.lanes
            for lane in 0..<NormalStream.lanes where positions.contains(first + lane) {
                let inLow = lane < 4
                if (inLow ? missedA[lane] : missedB[lane - 4]) == 0 {
                    kernel.store(inLow ? za[lane] : zb[lane - 4], at: origin + first + lane)
                }
            }
        }
        // Rows before the stretch are computed for their misses, which come first in the spare stream.
        for row in 0..<firstRow { _ = nextRow(row) }
        let fullStart = (positions.lowerBound + NormalStream.lanes - 1) / NormalStream.lanes
        let fullEnd = max(fullStart, positions.upperBound / NormalStream.lanes)
        if firstRow < fullStart { partialRow(firstRow) }
        if fullStart < fullEnd {
            for row in fullStart..<fullEnd {
                let (za, missedA, zb, missedB) = nextRow(row)
                kernel.store(za, missed: missedA, at: origin &+ row &* NormalStream.lanes)
                kernel.store(zb, missed: missedB, at: origin &+ row &* NormalStream.lanes &+ 4)
            }
        }
        if fullEnd < endRow { partialRow(fullEnd) }
        guard missedRows > 0 else { return }
        var spare = Xoshiro128PlusPlus(block: spareSeed ?? spareBlock())
        @inline(__always)
        func resolve(_ words: SIMD8<UInt32>, row: Int) {
            let first = row * NormalStream.lanes
            for lane in 0..<NormalStream.lanes where Ziggurat.misses(words[lane], tables.fast) {
                let z = Ziggurat.slowNormal(words[lane], spare: &spare, fast: tables.fast,
                                            edges: tables.edges, heights: tables.heights)
                if positions.contains(first + lane) { kernel.store(z, at: origin + first + lane) }
            }
        }
        if missedRows < listCapacity {
            for entry in 0..<missedRows { resolve(rowWords[entry], row: Int(rowIndices[entry])) }
        } else {
            // The list may have lost entries (once it is full every row writes over one): at least
            // 32 of 128 rows missed, probability 5·10⁻¹⁹ per chunk at the fast path's 0.43% miss rate
            // (or a test's smaller list). The rows' words again, from the seeds.
            (low, high) = laneSeeds(counter: counter, key: key)
            for row in 0..<endRow {
                let a = low.next(shifts), b = high.next(shifts)
                resolve(SIMD8(lowHalf: a, highHalf: b), row: row)
            }
        }
    }

    /// The eight lanes' seeds: the Philox blocks counter + 0 … 7, as two sets of four lanes.
    @inline(__always)
    private static func laneSeeds(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> (XoshiroLanes, XoshiroLanes) {
#if NOISYOPTIM_AVX512
        let (x0, x1, x2, x3) = stepBlocks(counter: counter, key: key)
        return (XoshiroLanes(x0.lowHalf.lowHalf, x1.lowHalf.lowHalf, x2.lowHalf.lowHalf, x3.lowHalf.lowHalf),
                XoshiroLanes(x0.lowHalf.highHalf, x1.lowHalf.highHalf, x2.lowHalf.highHalf, x3.lowHalf.highHalf))
#elseif NOISYOPTIM_FMA
        let (x0, x1, x2, x3) = stepBlocks(counter: counter, key: key)
        return (XoshiroLanes(x0.lowHalf, x1.lowHalf, x2.lowHalf, x3.lowHalf),
                XoshiroLanes(x0.highHalf, x1.highHalf, x2.highHalf, x3.highHalf))
#else
        let (a0, a1, a2, a3) = stepBlocks(counter: counter, key: key)
        let (b0, b1, b2, b3) = stepBlocks(counter: Self.counter(counter, plus: 4), key: key)
        return (XoshiroLanes(a0, a1, a2, a3), XoshiroLanes(b0, b1, b2, b3))
#endif
    }
}

/// The ziggurat's tables, as pointers held for a whole fill.
struct ZigguratPointers {
    let fast: UnsafePointer<UInt32>
    let edges: UnsafePointer<Double>
    let heights: UnsafePointer<Double>
}
