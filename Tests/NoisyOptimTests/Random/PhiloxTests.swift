// PhiloxTests: the bijection against published vectors, counter arithmetic, value semantics,
// Codable state and the scalar helpers.

import Foundation
import Testing
@testable import NoisyOptim

/// Known-answer vectors for Philox4x32 with 10 rounds, from the Random123 distribution
/// (D. E. Shaw Research), file `tests/kat_vectors`, the three "philox4x32 10" lines:
///
///     philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
///     philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
///     philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
///
/// Fields: counter words 0–3, key words 0–1, then the expected output words 0–3 (the third line's
/// inputs are the hexadecimal digits of π). The same lines appear in the test suites of several
/// independent Philox implementations, which is how they were cross-checked here.
let philoxKnownAnswers: [(counter: SIMD4<UInt32>, key: SIMD2<UInt32>, expected: SIMD4<UInt32>)] = [
    (SIMD4(0, 0, 0, 0), SIMD2(0, 0),
     SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8)),
    (SIMD4(0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF), SIMD2(0xFFFF_FFFF, 0xFFFF_FFFF),
     SIMD4(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD)),
    (SIMD4(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), SIMD2(0xA409_3822, 0x299F_31D0),
     SIMD4(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1)),
]

@Suite struct PhiloxTests {
    // MARK: - The bijection

    @Test(arguments: philoxKnownAnswers.indices)
    func knownAnswer(index: Int) {
        let vector = philoxKnownAnswers[index]
        #expect(Philox4x32.block(counter: vector.counter, key: vector.key) == vector.expected)
    }

    /// `next()` returns words 0|1 and then 2|3 of the same block, word 0 in the low half.
    @Test(arguments: philoxKnownAnswers.indices)
    func knownAnswerThroughNext(index: Int) {
        let vector = philoxKnownAnswers[index]
        var generator = Philox4x32(key: vector.key, counter: vector.counter)
        let first = generator.next()
        let second = generator.next()
        #expect(UInt32(truncatingIfNeeded: first) == vector.expected[0])
        #expect(UInt32(truncatingIfNeeded: first >> 32) == vector.expected[1])
        #expect(UInt32(truncatingIfNeeded: second) == vector.expected[2])
        #expect(UInt32(truncatingIfNeeded: second >> 32) == vector.expected[3])
        #expect(generator.counter == Philox4x32.counter(vector.counter, plus: 1))
    }

    /// The step kernel (4 lanes, or 8 and 16 in the FMA and AVX512 builds) against the scalar
    /// bijection, including counters whose low words carry inside a step (the slow path, at every
    /// width) and the wrap from 2¹²⁸ − 1 to 0.
    @Test(arguments: [
        SIMD4<UInt32>(0, 0, 0, 0),
        SIMD4<UInt32>(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344),
        SIMD4<UInt32>(0xFFFF_FFFE, 7, 0, 0),
        SIMD4<UInt32>(0xFFFF_FFFD, 0xFFFF_FFFF, 0xFFFF_FFFF, 0),
        SIMD4<UInt32>(0xFFFF_FFF9, 3, 0, 0),
        SIMD4<UInt32>(0xFFFF_FFF1, 0xFFFF_FFFF, 5, 0),
        SIMD4<UInt32>(0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF),
    ])
    func stepKernelMatchesScalar(counter: SIMD4<UInt32>) {
        for key in [SIMD2<UInt32>(0, 0), SIMD2(0xFFFF_FFFF, 0xFFFF_FFFF), SIMD2(0xA409_3822, 0x299F_31D0)] {
            let (x0, x1, x2, x3) = Philox4x32.stepBlocks(counter: counter, key: key)
            for lane in 0..<Philox4x32.blocksPerStep {
                let expected = Philox4x32.block(counter: Philox4x32.counter(counter, plus: UInt64(lane)), key: key)
                #expect(SIMD4(x0[lane], x1[lane], x2[lane], x3[lane]) == expected, "lane \(lane), key \(key)")
            }
        }
    }

    // MARK: - Seeding and the counter

    @Test func seedIsTheKeyCounterStartsAtZero() {
        let generator = Philox4x32(seed: 0x0123_4567_89AB_CDEF)
        #expect(generator.key == SIMD2(0x89AB_CDEF, 0x0123_4567))
        #expect(generator.counter == .zero)
        #expect(Philox4x32(seed: 1) != Philox4x32(seed: 2))
    }

    static let skipCases: [(start: SIMD4<UInt32>, blocks: UInt64, expected: SIMD4<UInt32>)] = [
        (SIMD4(5, 0, 0, 0), 3, SIMD4(8, 0, 0, 0)),
        (SIMD4(0xFFFF_FFFF, 0, 0, 0), 1, SIMD4(0, 1, 0, 0)),
        (SIMD4(0xFFFF_FFFF, 0xFFFF_FFFF, 5, 0), 1, SIMD4(0, 0, 6, 0)),
        (SIMD4(0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 9), 2, SIMD4(1, 0, 0, 10)),
        (SIMD4(0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF), 1, SIMD4(0, 0, 0, 0)),
        (SIMD4(1, 2, 3, 4), UInt64.max, SIMD4(0, 2, 4, 4)),
    ]

    @Test(arguments: skipCases.indices)
    func skipAddsWithCarry(index: Int) {
        let (start, blocks, expected) = Self.skipCases[index]
        var generator = Philox4x32(key: SIMD2(1, 2), counter: start)
        generator.skip(blocks: blocks)
        #expect(generator.counter == expected)
    }

    @Test func skipEqualsDrawing() {
        var drawn = Philox4x32(seed: 42)
        for _ in 0..<10 { _ = drawn.next() } // 5 whole blocks
        var skipped = Philox4x32(seed: 42)
        skipped.skip(blocks: 5)
        #expect(drawn == skipped)
        #expect(drawn.next() == skipped.next())
    }

    @Test func skipDropsTheBufferedHalf() {
        var generator = Philox4x32(seed: 7)
        _ = generator.next() // buffers words 2|3 of block 0
        generator.skip(blocks: 0)
        let block1 = Philox4x32.block(counter: SIMD4(1, 0, 0, 0), key: generator.key)
        #expect(generator.next() == UInt64(block1[0]) | UInt64(block1[1]) << 32)
    }

    // MARK: - Value semantics and Codable

    @Test func copyContinuesIdenticallyAndLeavesOriginalAlone() {
        var original = Philox4x32(seed: 99)
        _ = original.next() // odd: a half block is buffered
        var copy = original
        let fromCopy = (0..<9).map { _ in copy.next() }
        var untouched = Philox4x32(seed: 99)
        _ = untouched.next()
        #expect(original == untouched, "drawing from the copy must not move the original")
        let fromOriginal = (0..<9).map { _ in original.next() }
        #expect(fromCopy == fromOriginal)
    }

    @Test(arguments: [0, 1, 2, 7])
    func codableRoundTripContinuesIdentically(drawsBefore: Int) throws {
        var generator = Philox4x32(key: SIMD2(0xDEAD_BEEF, 12), counter: SIMD4(0xFFFF_FFFF, 3, 0, 1))
        for _ in 0..<drawsBefore { _ = generator.next() }
        let data = try JSONEncoder().encode(generator)
        var decoded = try JSONDecoder().decode(Philox4x32.self, from: data)
        #expect(decoded == generator)
        #expect((0..<5).map { _ in decoded.next() } == (0..<5).map { _ in generator.next() })
        #expect(decoded.normalFloats(count: 13) == generator.normalFloats(count: 13))
    }

    @Test func bufferedHalfTakesPartInEquality() {
        var a = Philox4x32(seed: 3)
        var b = Philox4x32(seed: 3)
        _ = a.next()
        _ = a.next()
        _ = b.next()
        #expect(a.counter == b.counter)
        #expect(a != b, "b still holds the second half of block 0")
    }

    // MARK: - Scalar helpers

    @Test func nextUniformFloatIsInHalfOpenUnitInterval() {
        var generator = Philox4x32(seed: 5)
        for _ in 0..<10_000 {
            let u = generator.nextUniformFloat()
            #expect(u > 0 && u <= 1)
        }
    }

    /// `nextNormal` is the fills' ziggurat on the low word of `next()`: on the fast path exactly
    /// ±u·xᵢ·2⁻²¹ after one `next()`; a miss (0.43% of words, so about 13 of these 3000) takes two more
    /// `next()` calls to seed its spare generator.
    @Test func nextNormalIsTheZigguratOfNext() {
        var scalar = Philox4x32(seed: 11)
        var words = Philox4x32(seed: 11)
        var misses = 0
        for _ in 0..<3000 {
            let z = scalar.nextNormal()
            let w = UInt32(truncatingIfNeeded: words.next())
            let i = Int(w & 1023), u = w >> 11
            if u < Ziggurat.fastPairs[2 * i + 1] {
                let magnitude = Float(bitPattern: Ziggurat.fastPairs[2 * i]) * Float(u)
                #expect(z == (w & 0x400 != 0 ? -magnitude : magnitude))
            } else {
                misses += 1
                _ = words.next(); _ = words.next()
                #expect(z.isFinite)
            }
            #expect(scalar == words)
        }
        #expect(misses > 0, "the sample must exercise the slow path")
    }

    /// From a fresh block, `nextUniformFloat` gives exactly the fill's values at positions 0 and 2
    /// (each call consumes one `next()`, i.e. half a block).
    @Test func nextUniformFloatMatchesTheFill() {
        var scalarUniform = Philox4x32(seed: 12)
        var filledUniform = Philox4x32(seed: 12)
        let uniforms = filledUniform.uniformFloats(count: 4)
        #expect(scalarUniform.nextUniformFloat() == uniforms[0])
        #expect(scalarUniform.nextUniformFloat() == uniforms[2])
    }

    /// Lemire's method is unbiased: a chi-square test over a bound that is not a power of two
    /// (bias from a plain modulo would be invisible at this size anyway, so this checks range and
    /// spread; the bound near 2⁶³ checks the rejection path cannot return out-of-range values).
    @Test func nextIntBelowIsUniformAndInRange() {
        var generator = Philox4x32(seed: 2024)
        let bound = 7
        let draws = 70_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<draws {
            let value = generator.nextInt(below: bound)
            #expect(value >= 0 && value < bound)
            counts[value] += 1
        }
        let expected = Double(draws) / Double(bound)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        // 6 degrees of freedom: mean 6, sd √12 ≈ 3.5; 6 + 7·3.5 ≈ 30 (p < 10⁻⁴).
        #expect(chiSquare < 30, "chi-square \(chiSquare), counts \(counts)")
        #expect(generator.nextInt(below: 1) == 0)
        let large = Int.max / 3 * 2
        for _ in 0..<1000 { #expect((0..<large).contains(generator.nextInt(below: large))) }
    }

    /// Swift's own `Int.random(in:using:)` and `shuffle(using:)` work with the generator and are
    /// deterministic per seed.
    @Test func standardLibraryRandomnessIsDeterministicPerSeed() {
        func draw(seed: UInt64) -> ([Int], [Int], Double) {
            var generator = Philox4x32(seed: seed)
            let ints = (0..<20).map { _ in Int.random(in: -5...5, using: &generator) }
            var deck = Array(0..<52)
            deck.shuffle(using: &generator)
            return (ints, deck, Double.random(in: 0..<1, using: &generator))
        }
        let (ints, deck, double) = draw(seed: 8)
        let again = draw(seed: 8)
        #expect(ints == again.0 && deck == again.1 && double == again.2)
        #expect(ints.allSatisfy { (-5...5).contains($0) })
        #expect(deck.sorted() == Array(0..<52), "a shuffle is a permutation")
        #expect(deck != Array(0..<52))
        #expect(draw(seed: 9).1 != deck, "another seed, another order")
    }
}
