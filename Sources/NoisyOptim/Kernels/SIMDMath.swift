// SIMDMath: exp, log, tanh and sigmoid on SIMD16<Float> with integer bit tricks only, so the
// default (SSE2) build needs no libm call per lane and no rounding instruction it lacks.

typealias Vector = SIMD16<Float>
typealias VectorBits = SIMD16<UInt32>

enum SIMDMath {
    /// √|x| lane by lane. Written per lane on |x| so it compiles to one `sqrtps` per register:
    /// SIMD's own `squareRoot()` keeps a libm call per lane for the negative case.
    @inline(__always)
    static func magnitudeSquareRoot(_ x: Vector) -> Vector {
        var root = x
        for i in 0..<16 { root[i] = x[i].magnitude.squareRoot() }
        return root
    }

    /// Rounds to the nearest integer by adding and subtracting 1.5·2²³ (valid for |x| < 2²²),
    /// and returns that integer as well, read back out of the mantissa bits.
    @inline(__always)
    static func roundWithInteger(_ x: Vector) -> (rounded: Vector, integer: SIMD16<Int32>) {
        let magic = Vector(repeating: 12_582_912)
        let shifted = x + magic
        let integer = SIMD16<Int32>(truncatingIfNeeded: shifted.bitPattern &- magic.bitPattern)
        return (shifted - magic, integer)
    }

    /// x = n·ln 2 + r with n = round(x/ln 2) and |r| ≤ ln2/2, ln 2 split in two parts (Cody–Waite)
    /// so r is exact for the |n| ≤ 128 of Float's range; n as a Float and as an integer.
    @inline(__always)
    static func reduceByLn2(_ x: Vector) -> (r: Vector, n: SIMD16<Int32>) {
        let (n, integer) = roundWithInteger(x * 1.442_695_04)
        return ((x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-06, integer)
    }

    /// eʳ − 1 for |r| ≤ ln2/2 from its Taylor polynomial through r⁷, in Horner form (truncation
    /// < 2e-8 relative).
    @inline(__always)
    static func expm1Taylor(_ r: Vector) -> Vector {
        var p = Vector(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        return p * r
    }

    /// eˣ with relative error below 2 ULP for x in [−87.3, 88.7]; 0 below (the subnormal range is
    /// flushed), +∞ above, NaN for NaN.
    ///
    /// eˣ = 2ⁿ·eʳ with n = round(x/ln 2), r = x − n·ln 2 split in two parts (Cody–Waite) so r is
    /// exact, and eʳ (|r| ≤ ln2/2) from its degree-7 Taylor polynomial (truncation < 1e-8).
    static func exp(_ x: Vector) -> Vector {
        // Masked replaces, not `clamped(lowerBound:upperBound:)`, which compiles to a per-lane loop.
        var clamped = x.replacing(with: -87.3, where: x .< -87.3)
        clamped.replace(with: 88.7, where: x .> 88.7)
        let (r, integer) = reduceByLn2(clamped)
        let p = expm1Taylor(r) + 1
        // 2ⁿ as two factors so neither leaves the normal range at n = 128 or n = −126.
        let half = integer &>> 1
        let scale1 = Vector(bitPattern: SIMD16<UInt32>(truncatingIfNeeded: (half &+ 127) &<< 23))
        let scale2 = Vector(bitPattern: SIMD16<UInt32>(truncatingIfNeeded: (integer &- half &+ 127) &<< 23))
        var result = p * scale1 * scale2
        result.replace(with: 0, where: x .< -87.3)
        result.replace(with: .infinity, where: x .> 88.7)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// ln x with error below 2 ULP for normal and subnormal x; −∞ at 0, NaN below 0, +∞ at +∞.
    ///
    /// x = 2ᵉ·m with m in [√½, √2); ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, from the
    /// odd series through s⁹ (truncation < 3e-9).
    static func log(_ x: Vector) -> Vector {
        // Scale subnormals into the normal range first so the exponent read below is right.
        let tiny = x .< Float.leastNormalMagnitude
        var y = x
        y.replace(with: x * 8_388_608, where: tiny) // 2²³
        var bits = y.bitPattern
        // Re-bias so the mantissa lands in [√½, √2): add (1 − √½)'s offset, split, subtract back.
        bits &+= 0x3F80_0000 &- 0x3F35_04F3
        let exponent = SIMD16<Int32>(truncatingIfNeeded: bits &>> 23) &- 127
        bits = (bits & 0x007F_FFFF) &+ 0x3F35_04F3
        let m = Vector(bitPattern: bits)
        var e = Vector(exponent)
        e.replace(with: e - 23, where: tiny)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = Vector(repeating: 2.0 / 9)
        p = p * s2 + 2.0 / 7
        p = p * s2 + 2.0 / 5
        p = p * s2 + 2.0 / 3
        p = p * s2 + 2
        var result = p * s + e * 0.693_147_180_559_945
        result.replace(with: -.infinity, where: x .== 0)
        result.replace(with: .nan, where: x .< 0)
        result.replace(with: .infinity, where: x .== .infinity)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// tanh x within 3 ULP (so within 1e-6 relative), ±1 beyond |x| = 9 and NaN for NaN.
    ///
    /// With a = min(|x|, 9): q = e²ᵃ − 1 = 2ⁿ·(eʳ − 1) + (2ⁿ − 1), n = round(2a/ln 2) ∈ [0, 26],
    /// r = 2a − n·ln 2 (Cody–Waite, |r| ≤ ln2/2), eʳ − 1 from its Taylor polynomial through r⁷
    /// (truncation < 2e-8 relative); then tanh a = q/(q + 2) and x's sign bit put back. q is
    /// computed, not taken as a difference, so small |x| loses nothing to cancellation, and no lane
    /// needs a range check: 2a ≤ 18 keeps 2ⁿ normal, and tanh 9 rounds to 1.
    static func tanh(_ x: Vector) -> Vector {
        let sign = x.bitPattern & 0x8000_0000
        var a = Vector(bitPattern: x.bitPattern & 0x7FFF_FFFF)
        a.replace(with: 9, where: 9 .< a) // a NaN fails the compare and stays NaN
        let (r, integer) = reduceByLn2(a + a)
        let p = expm1Taylor(r)
        let scale = Vector(bitPattern: SIMD16<UInt32>(truncatingIfNeeded: (integer &+ 127) &<< 23))
        let q = scale * p + (scale - 1)
        let magnitude = q / (q + 2)
        return Vector(bitPattern: magnitude.bitPattern | sign)
    }

    /// σ(x) = 1/(1 + e⁻ˣ).
    static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }
}

extension SIMD16 where Scalar == Float {
    @inline(__always)
    var bitPattern: SIMD16<UInt32> { unsafeBitCast(self, to: SIMD16<UInt32>.self) }

    @inline(__always)
    init(bitPattern: SIMD16<UInt32>) { self = unsafeBitCast(bitPattern, to: SIMD16<Float>.self) }
}
