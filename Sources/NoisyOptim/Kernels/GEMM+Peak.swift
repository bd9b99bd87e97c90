// GEMM+Peak: a register-only loop of the micro-kernel's arithmetic, the bench's measured peak.
//
// Each build's GEMM figure is printed as a fraction of what this machine does with the same
// instructions and no memory at all: the same vector width and as many independent accumulators
// as the build's micro-kernel (12 SSE pairs of mul + add; 12 ymm or 24 zmm fused multiply-adds).
// Each accumulator is updated from itself (acc ← acc + acc·c), so the compiler cannot hoist the
// products out of the loop, and the accumulators are independent, so only throughput limits it.

/// The measured-peak reference of the GEMM micro-kernel.
package enum MicroKernelPeak {
    /// Floating-point operations (a multiply and an add each) one `run` iteration performs.
    package static let flopsPerIteration: Int = {
#if NOISYOPTIM_AVX512
        24 * 16 * 2
#elseif NOISYOPTIM_FMA
        12 * 8 * 2
#else
        6 * 8 * 2
#endif
    }()

    /// Runs `iterations` iterations and returns a value that depends on all of them (keep it, so
    /// the loop is not removed). `scale` should be tiny (10⁻⁹) so nothing overflows or goes
    /// subnormal in 10¹⁰ iterations.
    @inline(never)
    package static func run(iterations: Int, scale: Float) -> Float {
#if NOISYOPTIM_AVX512
        typealias V = SIMD16<Float>
        let c = V(repeating: scale)
        var a0 = V(repeating: 1), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        var b0 = a0 + 12, b1 = a0 + 13, b2 = a0 + 14, b3 = a0 + 15, b4 = a0 + 16, b5 = a0 + 17
        var b6 = a0 + 18, b7 = a0 + 19, b8 = a0 + 20, b9 = a0 + 21, b10 = a0 + 22, b11 = a0 + 23
        for _ in 0..<iterations {
            a0.addProduct(a0, c); a1.addProduct(a1, c); a2.addProduct(a2, c); a3.addProduct(a3, c)
            a4.addProduct(a4, c); a5.addProduct(a5, c); a6.addProduct(a6, c); a7.addProduct(a7, c)
            a8.addProduct(a8, c); a9.addProduct(a9, c); a10.addProduct(a10, c); a11.addProduct(a11, c)
            b0.addProduct(b0, c); b1.addProduct(b1, c); b2.addProduct(b2, c); b3.addProduct(b3, c)
            b4.addProduct(b4, c); b5.addProduct(b5, c); b6.addProduct(b6, c); b7.addProduct(b7, c)
            b8.addProduct(b8, c); b9.addProduct(b9, c); b10.addProduct(b10, c); b11.addProduct(b11, c)
        }
        let a = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
        let b = ((b0 + b1) + (b2 + b3)) + ((b4 + b5) + (b6 + b7)) + ((b8 + b9) + (b10 + b11))
        return (a + b).sum()
#elseif NOISYOPTIM_FMA
        typealias V = SIMD8<Float>
        let c = V(repeating: scale)
        var a0 = V(repeating: 1), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        for _ in 0..<iterations {
            a0.addProduct(a0, c); a1.addProduct(a1, c); a2.addProduct(a2, c); a3.addProduct(a3, c)
            a4.addProduct(a4, c); a5.addProduct(a5, c); a6.addProduct(a6, c); a7.addProduct(a7, c)
            a8.addProduct(a8, c); a9.addProduct(a9, c); a10.addProduct(a10, c); a11.addProduct(a11, c)
        }
        return (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))).sum()
#else
        // SIMD8 is an SSE pair here, as in the 6×8 kernel: 12 xmm accumulators.
        typealias V = SIMD8<Float>
        let c = V(repeating: scale)
        var a0 = V(repeating: 1), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        for _ in 0..<iterations {
            a0 += a0 * c; a1 += a1 * c; a2 += a2 * c
            a3 += a3 * c; a4 += a4 * c; a5 += a5 * c
        }
        return (((a0 + a1) + (a2 + a3)) + (a4 + a5)).sum()
#endif
    }
}
