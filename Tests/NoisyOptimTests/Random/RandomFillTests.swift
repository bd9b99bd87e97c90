// RandomFillTests: the SIMD fills against a scalar twin, their position determinism (tails,
// consecutive fills, starts inside a chunk, thread counts), the ziggurat's tables, and the
// distributions.

import Foundation
import Testing
@testable import NoisyOptim

// MARK: - Naive twins

/// The 32-bit word at position i of the stream that starts at (key, counter): word i mod 4 of the
/// block counter + ⌊i / 4⌋, straight from the scalar bijection.
private func referenceWord(_ i: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> UInt32 {
    Philox4x32.block(counter: Philox4x32.counter(counter, plus: UInt64(i / 4)), key: key)[i % 4]
}

private func referenceUniforms(count: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> [Float] {
    (0..<count).map { Float((referenceWord($0, key: key, counter: counter) >> 8) + 1) * 0x1p-24 }
}

/// Scalar xoshiro128++ (Blackman and Vigna's reference code, transcribed).
private struct ReferenceXoshiro {
    var s: [UInt32]
    init(_ block: SIMD4<UInt32>) { s = block == .zero ? [1, 0, 0, 0] : [block[0], block[1], block[2], block[3]] }
    mutating func next() -> UInt32 {
        func rotl(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        let result = rotl(s[0] &+ s[3], 7) &+ s[0]
        let t = s[1] << 9
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11)
        return result
    }
}

/// The normal stream of (key, counter) at positions 0 ..< count, position by position from its
/// definition (`Philox4x32.normals(into:from:)`): chunk j's lane l is xoshiro128++ seeded by
/// Philox block counter + 256j + l, position 1024j + 8m + l is lane l's output m through the
/// ziggurat, and misses draw from the spare generator (block counter + 256j + 8) in position order.
private func referenceNormals(count: Int, key: SIMD2<UInt32>, counter: SIMD4<UInt32>) -> [Float] {
    let fast = Ziggurat.fastPairs, edges = Ziggurat.edges, heights = Ziggurat.heights
    var result: [Float] = []
    var chunk = 0
    while result.count < count {
        let base = Philox4x32.counter(counter, plus: UInt64(256 * chunk))
        var lanes = (0..<8).map { ReferenceXoshiro(Philox4x32.block(counter: Philox4x32.counter(base, plus: UInt64($0)), key: key)) }
        var spare = ReferenceXoshiro(Philox4x32.block(counter: Philox4x32.counter(base, plus: 8), key: key))
        for q in 0..<min(1024, count - result.count) {
            var w = lanes[q % 8].next()
            var z: Float? = nil
            while z == nil {
                let i = Int(w & 1023), u = w >> 11, sign: Float = w & 0x400 != 0 ? -1 : 1
                if u < fast[2 * i + 1] {
                    z = sign * (Float(bitPattern: fast[2 * i]) * Float(u))
                } else if i == 0 {
                    while z == nil {
                        let a = -Foundation.log((Double(spare.next()) + 0.5) * 0x1p-32) / edges[1]
                        let b = -Foundation.log((Double(spare.next()) + 0.5) * 0x1p-32)
                        if b + b >= a * a { z = sign * Float(edges[1] + a) }
                    }
                } else {
                    let x = Double(u) * edges[i] * 0x1p-21
                    let y = heights[i] + Double(spare.next()) * 0x1p-32 * (heights[i + 1] - heights[i])
                    if y < Foundation.exp(-0.5 * x * x) { z = sign * Float(x) } else { w = spare.next() }
                }
            }
            result.append(z! + 0)
        }
        chunk += 1
    }
    return result
}

/// The first index where two arrays differ (or the shorter count), nil if they are equal: keeps a
/// failure message short when the arrays hold 10⁵ values.
private func firstDifference(_ a: [Float], _ b: [Float]) -> Int? {
    if let i = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset { return i }
    return a.count == b.count ? nil : min(a.count, b.count)
}

/// The distance from `actual` to `expected` in units of Float's ULP at `expected`.
private func ulps(_ actual: Float, _ expected: Double) -> Double {
    abs(Double(actual) - expected) / Double(Float(expected).ulp)
}

// MARK: - Fills against the twins, and position determinism

@Suite struct RandomFillTests {
    /// The reference transcription and the library's scalar generator against the authors' C code
    /// (xoshiro128plusplus.c, compiled with gcc from state {1, 2, 3, 4}): outputs 1–6 and 1001.
    @Test func xoshiroMatchesTheAuthorsCode() {
        let expected: [UInt32] = [0x0000_0281, 0x0018_0387, 0xC018_3387, 0xD1AE_3B02, 0x31E2_310A, 0xFD27_5AB0]
        var reference = ReferenceXoshiro(SIMD4(1, 2, 3, 4))
        var library = Xoshiro128PlusPlus(block: SIMD4(1, 2, 3, 4))
        #expect((0..<6).map { _ in reference.next() } == expected)
        #expect((0..<6).map { _ in library.next() } == expected)
        for _ in 0..<994 { _ = reference.next(); _ = library.next() }
        #expect(reference.next() == 0x2A2A_53E9)
        #expect(library.next() == 0x2A2A_53E9)
    }

    static let awkwardSizes = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023]

    @Test(arguments: awkwardSizes)
    func uniformFillMatchesScalarTwin(count: Int) {
        let key = SIMD2<UInt32>(0x1234_5678, 0x9ABC_DEF0)
        let start = SIMD4<UInt32>(0xFFFF_FFF0, 0xFFFF_FFFF, 2, 0) // the word-0 carry happens inside
        var generator = Philox4x32(key: key, counter: start)
        #expect(firstDifference(generator.uniformFloats(count: count),
                                referenceUniforms(count: count, key: key, counter: start)) == nil)
        #expect(generator.counter == Philox4x32.counter(start, plus: UInt64((count + 3) / 4)),
                "a fill of \(count) consumes ⌈count/4⌉ blocks")
    }

    /// Exact equality: the fast path is one Float product and the slow path the same Double
    /// formulas, in the same order. The start counter makes word 0 carry between chunk 0's lanes and
    /// again at chunk 1 (counters 0xFFFF_FFF9 + 256j + l), the sizes cut rows and chunks.
    @Test(arguments: awkwardSizes + [1024, 1025, 2047, 2048, 2049, 4100])
    func normalFillMatchesScalarTwin(count: Int) {
        let key = SIMD2<UInt32>(0xA409_3822, 0x299F_31D0)
        let start = SIMD4<UInt32>(0xFFFF_FFF9, 0, 0, 0)
        var generator = Philox4x32(key: key, counter: start)
        #expect(firstDifference(generator.normalFloats(count: count), referenceNormals(count: count, key: key, counter: start)) == nil)
        #expect(generator.counter == Philox4x32.counter(start, plus: UInt64(256 * ((count + 1023) / 1024))),
                "a fill of \(count) consumes 256 blocks per started chunk of 1024")
    }

    /// Random access: any stretch of positions, starting inside a row, a chunk or at a chunk's end,
    /// equals the same positions of one fill from position 0, and leaves the generator unchanged.
    @Test(arguments: [(0, 1), (3, 5), (5, 3), (8, 8), (13, 1030), (1000, 30), (1020, 4), (1023, 2),
                      (1024, 1), (1031, 2000), (2047, 1), (2048, 2048), (3000, 1500)])
    func anyStretchEqualsTheSamePositionsOfAWholeFill(position: Int, count: Int) {
        let key = SIMD2<UInt32>(77, 78)
        let start = SIMD4<UInt32>(5, 6, 7, 8)
        let generator = Philox4x32(key: key, counter: start)
        var stretch = [Float](repeating: .nan, count: count)
        stretch.withUnsafeMutableBufferPointer { generator.normals(into: $0, from: position) }
        let whole = referenceNormals(count: position + count, key: key, counter: start)
        #expect(firstDifference(stretch, Array(whole[position...])) == nil)
        var added = [Float](repeating: 1, count: count)
        added.withUnsafeMutableBufferPointer { generator.addNormal(to: $0, from: position, standardDeviation: 0.5) }
        #expect(firstDifference(added, whole[position...].map { 1 + 0.5 * $0 }) == nil)
        #expect(generator == Philox4x32(key: key, counter: start))
    }

    /// The list of rows with a miss overflowing (32 of a chunk's 128 rows: never seen at full size, so
    /// forced here with lists of 1–4 rows, which nearly every chunk overflows) changes nothing: the
    /// misses are found again from the lanes' seeds, in the same order, and each position is written
    /// once (the add kernel would show a second write).
    @Test(arguments: [1, 2, 4])
    func overflowingMissListGivesTheSameValues(listCapacity: Int) {
        let key = SIMD2<UInt32>(91, 92)
        let start = SIMD4<UInt32>(0xFFFF_FF80, 3, 0, 0)
        let generator = Philox4x32(key: key, counter: start)
        let whole = referenceNormals(count: 4500, key: key, counter: start)
        for (position, count) in [(0, 4096), (13, 1030), (1000, 30), (3000, 1500)] {
            var stretch = [Float](repeating: .nan, count: count)
            stretch.withUnsafeMutableBufferPointer { generator.normals(into: $0, from: position, listCapacity: listCapacity) }
            #expect(firstDifference(stretch, Array(whole[position..<position + count])) == nil,
                    "list of \(listCapacity), positions \(position) ..< \(position + count)")
            var added = [Float](repeating: 1, count: count)
            added.withUnsafeMutableBufferPointer {
                generator.addNormal(to: $0, from: position, standardDeviation: 0.5, listCapacity: listCapacity)
            }
            #expect(firstDifference(added, whole[position..<position + count].map { 1 + 0.5 * $0 }) == nil,
                    "list of \(listCapacity), positions \(position) ..< \(position + count)")
        }
    }

    /// A short fill is the prefix of a long one: the tail code computes whole steps and writes
    /// only the positions that exist.
    @Test(arguments: awkwardSizes)
    func shortFillIsPrefixOfLongFill(count: Int) {
        var long = Philox4x32(seed: 77)
        var short = Philox4x32(seed: 77)
        let longNormals = long.normalFloats(count: 2048)
        #expect(firstDifference(short.normalFloats(count: count), Array(longNormals.prefix(count))) == nil)
        var longUniform = Philox4x32(seed: 78)
        var shortUniform = Philox4x32(seed: 78)
        let longUniforms = longUniform.uniformFloats(count: 2048)
        #expect(firstDifference(shortUniform.uniformFloats(count: count), Array(longUniforms.prefix(count))) == nil)
    }

    /// Position i depends only on (key, starting counter, i): a fill of n then one of m continues at
    /// chunk ⌈n/1024⌉, so it equals the long fill's values from position 1024⌈n/1024⌉ on (the rest
    /// of a partial chunk is skipped, never reused: no lane is shared by two fills).
    @Test(arguments: [(0, 5), (4, 9), (5, 7), (16, 33), (1023, 1), (1024, 65), (1500, 700)])
    func consecutiveFillsContinueTheStream(first: Int, second: Int) {
        var generator = Philox4x32(seed: 2718)
        let a = generator.normalFloats(count: first)
        let b = generator.normalFloats(count: second)
        var reference = Philox4x32(seed: 2718)
        let all = reference.normalFloats(count: 1024 * ((first + 1023) / 1024) + second)
        #expect(firstDifference(a, Array(all.prefix(first))) == nil)
        #expect(firstDifference(b, Array(all.suffix(second))) == nil)
    }

    @Test func sameSeedSameValuesOtherSeedOtherValues() {
        var a = Philox4x32(seed: 1)
        var b = Philox4x32(seed: 1)
        var c = Philox4x32(seed: 2)
        let values = a.normalFloats(count: 100)
        #expect(values == b.normalFloats(count: 100))
        #expect(values != c.normalFloats(count: 100))
    }

    /// A fill after an odd number of `next()` calls starts on a fresh block, and the buffered half
    /// is gone.
    @Test func fillDropsTheBufferedHalf() {
        var generator = Philox4x32(seed: 31)
        _ = generator.next()
        let afterNext = generator.uniformFloats(count: 4)
        var fresh = Philox4x32(seed: 31)
        fresh.skip(blocks: 1)
        #expect(afterNext == fresh.uniformFloats(count: 4))
        #expect(generator == fresh)
    }

    @Test func meanAndStandardDeviationAreApplied() {
        var standard = Philox4x32(seed: 404)
        var shifted = Philox4x32(seed: 404)
        let z = standard.normalFloats(count: 1001)
        let x = shifted.normalFloats(count: 1001, mean: -3, standardDeviation: 0.25)
        // The kernel computes mean + σ·z with one rounding per operation, as this line does.
        #expect(firstDifference(x, z.map { -3 + 0.25 * $0 }) == nil)
    }

    @Test(arguments: [0, 1, 6, 17, 1023])
    func addNormalAddsTheFillNormalValues(count: Int) {
        var data = TestGenerator(seed: 5)
        let original = data.floats(count)
        var buffer = original
        var adding = Philox4x32(seed: 606)
        buffer.withUnsafeMutableBufferPointer { adding.addNormal(to: $0, standardDeviation: 0.1) }
        var filling = Philox4x32(seed: 606)
        let z = filling.normalFloats(count: count)
        #expect(firstDifference(buffer, zip(original, z).map { $0 + 0.1 * $1 }) == nil)
        #expect(adding == filling, "both consumed 256·⌈count/1024⌉ blocks")
    }

    // MARK: - The ziggurat's tables

    /// Every layer has the same area v (Marsaglia and Tsang's construction), recomputed here from
    /// the edges with Foundation's exp and erfc: the base strip r·f(r) + ∫ᵣ^∞ f, each layer
    /// xᵢ·(f(xᵢ₊₁) − f(xᵢ)) for i ≥ 1 (x₁₀₂₄ = 0, f = 1 there), and the base's virtual width
    /// x₀ = v / f(r). Tolerance 10⁻¹¹ relative: the edges come from a float64 recurrence
    /// (xᵢ₊₁ = √(−2 ln(f(xᵢ) + v/xᵢ))), whose roundings leave the areas equal to 4·10⁻¹² at worst.
    @Test func everyLayerHasTheSameArea() {
        let x = Ziggurat.edges, f = Ziggurat.heights
        #expect(x.count == 1025 && f.count == 1025 && x[1024] == 0 && f[1024] == 1)
        let r = x[1]
        let v = r * Foundation.exp(-r * r / 2) + (Double.pi / 2).squareRoot() * Foundation.erfc(r / 2.0.squareRoot())
        expectClose(x[0], v / Foundation.exp(-r * r / 2), relativeTolerance: 1e-12)
        for i in 0...1024 { expectClose(f[i], Foundation.exp(-x[i] * x[i] / 2), relativeTolerance: 1e-14) }
        var worst = 0.0
        for i in 1..<1024 where x[i + 1] < x[i] {
            worst = max(worst, abs(x[i] * (f[i + 1] - f[i]) - v) / v)
        }
        #expect(worst < 1e-11, "worst relative area error \(worst)")
        #expect((1..<1024).allSatisfy { x[$0 + 1] < x[$0] }, "edges decrease")
    }

    /// The fast table holds Float(xᵢ·2⁻²¹) and kᵢ = ⌈2²¹·xᵢ₊₁/xᵢ⌉, so u < kᵢ exactly when the
    /// candidate u·xᵢ·2⁻²¹ lies left of xᵢ₊₁ (checked at the boundary u = kᵢ − 1, kᵢ); and the fast
    /// path's acceptance, the mean of xᵢ₊₁/xᵢ, is the 99.57% the file states.
    @Test func fastTableMatchesTheEdges() {
        let x = Ziggurat.edges, fast = Ziggurat.fastPairs
        #expect(fast.count == 2048)
        var acceptance = 0.0
        for i in 0..<1024 {
            #expect(Float(bitPattern: fast[2 * i]) == Float(x[i] * 0x1p-21), "width of layer \(i)")
            let k = fast[2 * i + 1]
            #expect(k == UInt32((x[i + 1] / x[i] * 0x1p21).rounded(.up)), "threshold of layer \(i)")
            if k > 0 { #expect(Double(k - 1) * x[i] * 0x1p-21 < x[i + 1]) }
            #expect(Double(k) * x[i] * 0x1p-21 >= x[i + 1])
            acceptance += x[i + 1] / x[i] / 1024
        }
        expectClose(acceptance, 0.995723, absoluteTolerance: 1e-6)
    }

    /// The vector fast path at its boundary: u = kᵢ − 1 is accepted with value ±(kᵢ − 1)·xᵢ·2⁻²¹
    /// (the word's sign bit), u = kᵢ misses, for layers at the bottom, middle and top (k₁₀₂₃ = 0:
    /// the top layer always misses).
    @Test func fastPathAcceptsExactlyBelowTheThreshold() {
        let fast = Ziggurat.fastPairs
        for layer in [0, 1, 2, 511, 1022, 1023] {
            let k = fast[2 * layer + 1]
            let below = k == 0 ? 0 : UInt32(layer) | (k - 1) << 11
            let at = UInt32(layer) | 0x400 | k << 11
            let (z, missed) = fast.withUnsafeBytes { Ziggurat.fastPath(SIMD4(below, at, below | 0x400, at), $0.baseAddress!) }
            let width = Float(bitPattern: fast[2 * layer])
            if k > 0 {
                #expect(missed[0] == 0 && missed[2] == 0, "layer \(layer): u = k − 1 is accepted")
                #expect(z[0] == width * Float(k - 1) && z[2] == -(width * Float(k - 1)))
            }
            #expect(missed[1] == .max && missed[3] == .max, "layer \(layer): u = k misses")
        }
    }

    /// Words that miss the fast path: layer 0 beyond r goes to the tail (|z| > r), a wedge word gives
    /// a value in its layer's wedge (xᵢ₊₁, xᵢ] or, rejected, whatever its replacement word gives —
    /// always finite, and with the word's sign when accepted from the wedge or tail.
    @Test func slowPathCoversTailAndWedges() {
        let fast = Ziggurat.fastPairs, x = Ziggurat.edges
        var spare = Xoshiro128PlusPlus(block: SIMD4(1, 2, 3, 4))
        let tailWord: UInt32 = 0xFFFF_F800          // layer 0, positive, u = 2²¹ − 1 ≥ k₀
        var tails: [Float] = []
        for _ in 0..<200 {
            tails.append(fast.withUnsafeBufferPointer { f in x.withUnsafeBufferPointer { e in
                Ziggurat.heights.withUnsafeBufferPointer { h in
                    Ziggurat.slowNormal(tailWord, spare: &spare, fast: f.baseAddress!, edges: e.baseAddress!, heights: h.baseAddress!)
                } } })
        }
        #expect(tails.allSatisfy { Double($0) > x[1] && $0.isFinite }, "tail values exceed r = \(x[1])")
        // The tail beyond r is N(0, 1) given |z| > r: its mean is φ(r)/Q(r) ≈ 4.26 and its SD about
        // 0.24 (≈ 1/r), so the mean of 200 draws is within 5 SE = 0.085 of it.
        let tailMean = tails.reduce(0.0) { $0 + Double($1) } / Double(tails.count)
        let exact = Foundation.exp(-x[1] * x[1] / 2) / (2 * Double.pi).squareRoot() / (0.5 * Foundation.erfc(x[1] / 2.0.squareRoot()))
        expectClose(tailMean, exact, absoluteTolerance: 5 * 0.24 / 200.0.squareRoot())
        for layer in [1, 500, 1022, 1023] {
            let negative = UInt32(layer) | 0x400 | UInt32.max << 11 // u = 2²¹ − 1: beyond xᵢ₊₁
            let z = fast.withUnsafeBufferPointer { f in x.withUnsafeBufferPointer { e in
                Ziggurat.heights.withUnsafeBufferPointer { h in
                    Ziggurat.slowNormal(negative, spare: &spare, fast: f.baseAddress!, edges: e.baseAddress!, heights: h.baseAddress!)
                } } }
            #expect(z.isFinite, "layer \(layer)")
        }
    }

    @Test func uniformMappingEndpoints() {
        // The first four lanes (a build's vectors have 4, 8 or 16).
        var words = PhiloxLanes(repeating: 0)
        for (lane, word) in [UInt32(0), 255, 256, 0xFFFF_FFFF].enumerated() { words[lane] = word }
        let u = unitInterval(words)
        #expect(SIMD4(u[0], u[1], u[2], u[3]) == SIMD4<Float>(0x1p-24, 0x1p-24, 0x1p-23, 1))
    }
}

// MARK: - Thread count

/// Changes the process-wide `Parallelism.maximumThreadCount`, so it runs serialized and restores it.
@Suite(.serialized) struct RandomFillThreadingTests {
    /// Large enough that `Parallel.forEachChunk` really uses two chunks (split at an odd number of
    /// steps, so also inside the two-step loop): the check on `chunks` below guards against the
    /// threshold growing past the test size.
    static let count = 2 * Philox4x32.minimumFloatsPerThread + 37

    @Test func valuesDoNotDependOnThreadCount() {
        let steps = (Self.count + Philox4x32.floatsPerStep - 1) / Philox4x32.floatsPerStep
        let chunks = steps / (Philox4x32.minimumFloatsPerThread / Philox4x32.floatsPerStep)
        #expect(chunks >= 2, "the test size must be above the threading threshold")
        #expect((Self.count + NormalStream.chunkSize - 1) / NormalStream.chunkSize >= 2 * NormalStream.minimumChunksPerThread,
                "the normal fills must split too")

        let saved = Parallelism.maximumThreadCount
        defer { Parallelism.maximumThreadCount = saved }
        var results: [[Float]] = []
        var noisy: [[Float]] = []
        var states: [Philox4x32] = []
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            var generator = Philox4x32(key: SIMD2(3, 4), counter: SIMD4(0xFFFF_0000, 0, 0, 0))
            results.append(generator.normalFloats(count: Self.count) + generator.uniformFloats(count: Self.count))
            var buffer = [Float](repeating: 1, count: Self.count)
            buffer.withUnsafeMutableBufferPointer { generator.addNormal(to: $0, standardDeviation: 2) }
            noisy.append(buffer)
            states.append(generator)
        }
        #expect(firstDifference(results[0], results[1]) == nil, "1 vs 2 threads")
        #expect(firstDifference(noisy[0], noisy[1]) == nil, "addNormal, 1 vs 2 threads")
        #expect(states[0] == states[1])
    }
}

// MARK: - Distributions

/// Statistical checks with fixed seeds. Each tolerance is 5 standard errors of the statistic at the
/// sample size used (so a correct generator fails with probability below 10⁻⁶ per check, and being
/// seeded it either always passes or always fails).
@Suite struct RandomDistributionTests {
    static let sampleSize = 200_000
    /// One sample of each kind, generated once and shared by the checks (debug builds are slow).
    static let uniforms: [Float] = {
        var generator = Philox4x32(seed: 12_345)
        return generator.uniformFloats(count: sampleSize)
    }()
    static let normals: [Float] = {
        var generator = Philox4x32(seed: 777)
        return generator.normalFloats(count: sampleSize)
    }()

    @Test func uniformMomentsAndRange() {
        let u = Self.uniforms.map(Double.init)
        #expect(u.allSatisfy { $0 > 0 && $0 <= 1 })
        let n = Double(u.count)
        let mean = u.reduce(0, +) / n
        let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        // U(0,1]: mean ½ (SE √(1/12n)), variance 1/12 (SE √((1/80 − 1/144)/n)).
        expectClose(mean, 0.5, absoluteTolerance: 5 * (1 / (12 * n)).squareRoot())
        expectClose(variance, 1.0 / 12, absoluteTolerance: 5 * ((1.0 / 80 - 1.0 / 144) / n).squareRoot())
    }

    @Test func uniformChiSquareAndKolmogorovSmirnov() {
        let u = Self.uniforms
        let bins = 100
        var counts = [Int](repeating: 0, count: bins)
        for value in u { counts[min(bins - 1, Int((value * Float(bins)).rounded(.up)) - 1)] += 1 }
        let expected = Double(u.count) / Double(bins)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 99 degrees of freedom: mean 99, SD √198 ≈ 14.1.
        #expect(abs(chiSquare - 99) < 5 * 198.0.squareRoot(), "chi-square \(chiSquare)")

        let sorted = u.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, value) in sorted.enumerated() {
            d = max(d, abs(Double(i + 1) / n - Double(value)), abs(Double(value) - Double(i) / n))
        }
        // Kolmogorov–Smirnov: √n·D exceeds 1.95 with probability 0.001.
        #expect(n.squareRoot() * d < 1.95, "KS statistic √n·D = \(n.squareRoot() * d)")
    }

    @Test func normalMomentsAndFiniteness() {
        let z = Self.normals
        #expect(z.allSatisfy { $0.isFinite })
        // The tail's a = −ln U / r with U ≥ 2⁻³³ bounds |z| by r + 33 ln 2 / r ≈ 9.70.
        #expect(z.allSatisfy { abs($0) <= 9.71 }, "the ziggurat's largest value is about 9.70")
        let n = Double(z.count)
        let mean = z.reduce(0.0) { $0 + Double($1) } / n
        var m2 = 0.0, m3 = 0.0, m4 = 0.0
        for value in z {
            let d = Double(value) - mean
            m2 += d * d; m3 += d * d * d; m4 += d * d * d * d
        }
        m2 /= n; m3 /= n; m4 /= n
        let skewness = m3 / pow(m2, 1.5)
        let excessKurtosis = m4 / (m2 * m2) - 3
        // N(0,1): SEs of mean, variance, skewness, excess kurtosis are √(1/n), √(2/n), √(6/n), √(24/n).
        expectClose(mean, 0, absoluteTolerance: 5 * (1 / n).squareRoot())
        expectClose(m2, 1, absoluteTolerance: 5 * (2 / n).squareRoot())
        expectClose(skewness, 0, absoluteTolerance: 5 * (6 / n).squareRoot())
        expectClose(excessKurtosis, 0, absoluteTolerance: 5 * (24 / n).squareRoot())
    }

    @Test func normalKolmogorovSmirnov() {
        let sorted = Self.normals.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, value) in sorted.enumerated() {
            let cdf = 0.5 * Foundation.erfc(-Double(value) / 2.0.squareRoot())
            d = max(d, abs(Double(i + 1) / n - cdf), abs(cdf - Double(i) / n))
        }
        #expect(n.squareRoot() * d < 1.95, "KS statistic √n·D = \(n.squareRoot() * d)")
    }

    /// Neighbours must be uncorrelated: lags 1–4 (neighbouring lanes, and uniform words of one
    /// block), 8 (one lane's consecutive outputs), 16 and 1024 (the same lane in the next chunk).
    /// Each sample correlation has SE 1/√n under independence.
    @Test(arguments: [1, 2, 3, 4, 8, 16, 1024])
    func neighboursAreUncorrelated(lag: Int) {
        let z = Self.normals.map(Double.init)
        let u = Self.uniforms.map { Double($0) - 0.5 }
        for (values, variance) in [(z, 1.0), (u, 1.0 / 12)] {
            var sum = 0.0
            for i in 0..<(values.count - lag) { sum += values[i] * values[i + lag] }
            let correlation = sum / Double(values.count - lag) / variance
            #expect(abs(correlation) < 5 / Double(values.count).squareRoot(), "lag \(lag): \(correlation)")
        }
    }

    /// Neighbouring lanes are independent: the squared radius z₀² + z₁² of a neighbouring pair is
    /// χ²₂ = Exp(½)-distributed, mean 2 and SD 2.
    @Test func pairRadiusIsExponential() {
        let z = Self.normals
        var sum = 0.0
        for pair in stride(from: 0, to: z.count, by: 2) {
            sum += Double(z[pair] * z[pair] + z[pair + 1] * z[pair + 1])
        }
        let pairs = Double(z.count / 2)
        expectClose(sum / pairs, 2, absoluteTolerance: 5 * 2 / pairs.squareRoot())
    }

    /// 10⁶ normals (a quarter of a million blocks) contain no NaN or infinity.
    @Test func millionNormalsAreFinite() {
        var generator = Philox4x32(seed: 31_415)
        let z = generator.normalFloats(count: 1_000_000)
        #expect(z.allSatisfy { $0.isFinite })
    }
}
