// Philox: the counter-based generator every source of randomness in NoisyOptim is built on.

/// Philox4x32-10 (Salmon, Moraes, Dror and Shaw 2011, "Parallel random numbers: as easy as 1, 2,
/// 3", SC '11), a counter-based random number generator.
///
/// The generator is a keyed bijection on 128-bit blocks, applied to a counter:
/// output block n = Philox_k(c₀ + n). Each of the 10 rounds maps the four 32-bit words
/// (x₀, x₁, x₂, x₃) to
///
///     (hi(M₁·x₂) ⊕ x₁ ⊕ k₀,  lo(M₁·x₂),  hi(M₀·x₀) ⊕ x₃ ⊕ k₁,  lo(M₀·x₀))
///
/// with M₀ = 0xD2511F53, M₁ = 0xCD9E8D57 and hi/lo the halves of the 64-bit product; the key is
/// bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) between rounds. Because block n is a
/// pure function of (key, counter + n), any stretch of the stream can be computed without the
/// ones before it — which is what makes the parallel fills independent of the thread count.
///
/// The state is a value: a copy is a checkpoint and continues the identical stream, and there is
/// no global generator. Words are numbered as in Random123: word 0 of the counter is the least
/// significant (it is the one incremented first), and `block(counter:key:)` reproduces the
/// Random123 known-answer vectors.
///
/// As a `RandomNumberGenerator`, `next()` returns the two halves of each block in turn and keeps
/// the unused half in the state (see `next()`); the uniform fill (`Philox+Fill.swift`) consumes
/// whole blocks, four 32-bit words per block, and the normal fills (`Philox+Normal.swift`) seed
/// xoshiro128++ lanes with them.
public struct Philox4x32: RandomNumberGenerator, Codable, Sendable, Hashable {
    /// The 64-bit key (k₀, k₁).
    public private(set) var key: SIMD2<UInt32>
    /// The 128-bit counter of the next block to be consumed, least significant word first. While
    /// `next()` holds the second half of a block, the counter already points past that block, so
    /// `Philox4x32(key:counter:)` from these two values resumes at the next whole block.
    public private(set) var counter: SIMD4<UInt32>
    /// The second half of the last block `next()` drew, not yet returned. Fills and `skip` drop
    /// it, so that after them the state is exactly (key, counter).
    private var buffered: UInt64?

    /// Philox multipliers M₀, M₁ and Weyl key increments W₀, W₁ (Salmon et al. 2011; the same
    /// constants as Random123's `philox.h`, and checked by the known-answer tests).
    @usableFromInline static let multiplier0: UInt32 = 0xD251_1F53
    @usableFromInline static let multiplier1: UInt32 = 0xCD9E_8D57
    @usableFromInline static let weyl0: UInt32 = 0x9E37_79B9
    @usableFromInline static let weyl1: UInt32 = 0xBB67_AE85
    /// The number of rounds: 10, the value Random123 recommends ("Philox4x32-10"). The paper
    /// reports that 7 rounds already pass TestU01's BigCrush; 10 leaves a safety margin.
    @usableFromInline static let rounds = 10

    /// A generator whose key is the seed's two 32-bit halves, k = (low 32 bits, high 32 bits),
    /// with the counter at 0.
    ///
    /// Different seeds give different keys, so their streams are unrelated (distinct keys select
    /// distinct bijections), not merely offset from one another.
    public init(seed: UInt64) {
        self.init(key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)),
                  counter: .zero)
    }

    /// A generator at an explicit position: the next block drawn is Philox_key(counter).
    public init(key: SIMD2<UInt32>, counter: SIMD4<UInt32>) {
        self.key = key
        self.counter = counter
        self.buffered = nil
    }

    /// The Philox4x32-10 bijection: the block for `counter` under `key`, with no state involved.
    ///
    /// Ten rounds of (x₀, x₁, x₂, x₃) ↦ (hi(M₁x₂) ⊕ x₁ ⊕ k₀, lo(M₁x₂), hi(M₀x₀) ⊕ x₃ ⊕ k₁, lo(M₀x₀)),
    /// k ← k + (W₀, W₁) after each round but the last.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var x = counter
        var k = key
        for round in 0..<rounds {
            let product0 = UInt64(multiplier0) &* UInt64(x[0])
            let product1 = UInt64(multiplier1) &* UInt64(x[2])
            x = SIMD4(
                UInt32(truncatingIfNeeded: product1 >> 32) ^ x[1] ^ k[0],
                UInt32(truncatingIfNeeded: product1),
                UInt32(truncatingIfNeeded: product0 >> 32) ^ x[3] ^ k[1],
                UInt32(truncatingIfNeeded: product0))
            if round < rounds - 1 { k &+= SIMD2(weyl0, weyl1) }
        }
        return x
    }

    /// The next 64 random bits.
    ///
    /// Each block supplies two results: first words 0 and 1 (word 0 in the low half), then on the
    /// following call words 2 and 3. The second half waits in the state, which is `Codable`, so a
    /// copy or a decoded checkpoint taken between the two calls continues identically.
    @inlinable
    public mutating func next() -> UInt64 {
        if let half = takeBuffered() { return half }
        let words = Self.block(counter: counter, key: key)
        advanceCounter(by: 1)
        storeBuffered(UInt64(words[2]) | UInt64(words[3]) << 32)
        return UInt64(words[0]) | UInt64(words[1]) << 32
    }

    /// Moves the stream `blocks` blocks ahead (a 128-bit addition with carry), as if that many
    /// blocks had been drawn, and drops a half block buffered by `next()`.
    public mutating func skip(blocks: UInt64) {
        buffered = nil
        advanceCounter(by: blocks)
    }

    // MARK: - Scalar samples

    /// A sample of U(0, 1]: u = (⌊x / 2⁸⌋ + 1) · 2⁻²⁴ with x the low 32 bits of `next()`, the same
    /// mapping as `fillUniform` (so from a fresh block the first two calls equal the fill's values at
    /// positions 0 and 2). Never 0, so it is safe under a logarithm.
    public mutating func nextUniformFloat() -> Float {
        Float((UInt32(truncatingIfNeeded: next()) >> 8) + 1) * 0x1p-24
    }

    /// A sample of N(0, 1) by the fills' ziggurat (see `Ziggurat`) on the low 32 bits of `next()`.
    /// A word that misses the ziggurat's fast path (probability 0.43%) takes its further uniforms
    /// from a xoshiro128++ generator seeded by the next two calls of `next()`. The values are not
    /// the fills' (which draw from lanes seeded per chunk of 1024 positions); use `fillNormal` for
    /// many.
    public mutating func nextNormal() -> Float {
        let word = UInt32(truncatingIfNeeded: next())
        return Ziggurat.fastPairs.withUnsafeBufferPointer { fast in
            guard Ziggurat.misses(word, fast.baseAddress!) else {
                let i = Int(word & 1023)
                let z = Float(bitPattern: fast[2 * i]) * Float(word >> 11)
                return word & 0x400 != 0 ? -z : z
            }
            let low = next(), high = next()
            var spare = Xoshiro128PlusPlus(block: SIMD4(UInt32(truncatingIfNeeded: low), UInt32(truncatingIfNeeded: low >> 32),
                                                        UInt32(truncatingIfNeeded: high), UInt32(truncatingIfNeeded: high >> 32)))
            return Ziggurat.edges.withUnsafeBufferPointer { edges in
                Ziggurat.heights.withUnsafeBufferPointer { heights in
                    Ziggurat.slowNormal(word, spare: &spare, fast: fast.baseAddress!, edges: edges.baseAddress!,
                                        heights: heights.baseAddress!)
                }
            }
        }
    }

    /// A uniform integer in 0 ..< n, without bias, by Lemire's multiply-and-reject method
    /// (Lemire 2019, "Fast random integer generation in an interval", ACM TOMACS 29(1)):
    /// with x = `next()`, the high word of the 128-bit x · n is the result unless the low word falls
    /// below 2⁶⁴ mod n, in which case x is redrawn. Rejection happens with probability < n / 2⁶⁴.
    public mutating func nextInt(below n: Int) -> Int {
        check(n > 0, "nextInt(below:) needs a positive bound, got \(n)")
        let bound = UInt64(n)
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound // 2⁶⁴ mod n
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return Int(product.high)
    }

    // MARK: - Internal plumbing shared with the fills

    @usableFromInline
    mutating func takeBuffered() -> UInt64? {
        defer { buffered = nil }
        return buffered
    }

    @usableFromInline
    mutating func storeBuffered(_ half: UInt64) { buffered = half }

    /// Drops the buffered half: a fill starts on a fresh block.
    @usableFromInline
    mutating func dropBuffered() { buffered = nil }

    @usableFromInline
    mutating func advanceCounter(by blocks: UInt64) {
        counter = Self.counter(counter, plus: blocks)
    }

    /// c + n modulo 2¹²⁸, the counter being four 32-bit words, least significant first.
    @inlinable @inline(__always)
    static func counter(_ c: SIMD4<UInt32>, plus n: UInt64) -> SIMD4<UInt32> {
        let low = (UInt64(c[0]) | UInt64(c[1]) << 32).addingReportingOverflow(n)
        var high = UInt64(c[2]) | UInt64(c[3]) << 32
        if low.overflow { high &+= 1 }
        return SIMD4(UInt32(truncatingIfNeeded: low.partialValue), UInt32(truncatingIfNeeded: low.partialValue >> 32),
                     UInt32(truncatingIfNeeded: high), UInt32(truncatingIfNeeded: high >> 32))
    }
}
