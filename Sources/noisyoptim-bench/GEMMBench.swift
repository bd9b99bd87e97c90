// GEMMBench: packed GEMM throughput on one and two threads, against a naive loop timed in the
// same run.

import Foundation
import NoisyOptim

/// One product to time: C (m×n) ← op(A)·op(B).
private struct GEMMShape {
    var label: String
    var m: Int, n: Int, k: Int
    var transposeA = false, transposeB = false
}

/// The arithmetic peak of one core for this build's micro-kernel instructions, in FLOP/s: the
/// register-only loop of `MicroKernelPeak`, in the thread's CPU time (as the 1-thread GEMM rows).
func measuredPeakFLOPS(repeats: Int = 7, minimumSeconds: Double = 0.05) -> Double {
    let iterations = 1 << 20
    let seconds = cpuSecondsPerCall(repeats: repeats, minimumSeconds: minimumSeconds) {
        blackHole(MicroKernelPeak.run(iterations: iterations, scale: 1e-9))
    }
    return Double(MicroKernelPeak.flopsPerIteration) * Double(iterations) / seconds
}

/// Adds the `gemm` rows: the measured peak, then GFLOPS on 1 and 2 threads as fractions of it
/// (one and two cores' worth), and the ratio to a naive loop of the same shape, for square sizes
/// and the MLP shapes the tape multiplies.
///
/// Each product's fractions are of the peak timed beside it, in the same rounds: on a shared VM
/// a core's rate can halve for seconds at a time even in thread CPU time (another guest on the
/// same physical core, we suppose), so one peak timed up front made later rows read up to 1.5×
/// "of peak". The last row gives the peak's range over all the timings.
func benchGEMM(_ table: inout BenchTable) {
    print("gemm micro-kernel: \(gemmMicroKernelDescription)")
    print("gemm blocking: \(gemmBlockingDescription)")
    let savedPeakThreads = Parallelism.maximumThreadCount
    Parallelism.maximumThreadCount = 1
    let firstPeak = measuredPeakFLOPS()
    Parallelism.maximumThreadCount = savedPeakThreads
    table.add("gemm", "peak, timed first: register-only kernel mix", value: firstPeak / 1e9, unit: "GFLOPS")
    let shapes: [GEMMShape] = [
        GEMMShape(label: "64² square", m: 64, n: 64, k: 64),
        GEMMShape(label: "128² square", m: 128, n: 128, k: 128),
        GEMMShape(label: "256² square", m: 256, n: 256, k: 256),
        GEMMShape(label: "512² square", m: 512, n: 512, k: 512),
        GEMMShape(label: "1024² square", m: 1024, n: 1024, k: 1024),
        GEMMShape(label: "MLP fwd 128×784·784×256", m: 128, n: 256, k: 784),
        GEMMShape(label: "MLP fwd 128×256·256×10", m: 128, n: 10, k: 256),
        GEMMShape(label: "MLP bwd dW 784×128·128×256 (Aᵀ)", m: 784, n: 256, k: 128, transposeA: true),
        GEMMShape(label: "MLP bwd dX 128×256·256×784 (Bᵀ)", m: 128, n: 784, k: 256, transposeB: true),
        GEMMShape(label: "tape 32×64·64×128", m: 32, n: 128, k: 64),
    ]
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    var peakLow = Double.infinity, peakHigh = 0.0, peakTimings = 0
    for shape in shapes {
        let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
        var state: UInt32 = 12345
        func next() -> Float { // values in [-1, 1); any will do, none are denormal
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 23) - 1
        }
        let a = (0..<shape.m * shape.k).map { _ in next() }
        let b = (0..<shape.k * shape.n).map { _ in next() }
        var c = [Float](repeating: 0, count: shape.m * shape.n)
        let lda = shape.transposeA ? shape.m : shape.k
        let ldb = shape.transposeB ? shape.k : shape.n

        // One thread: the calling thread's CPU time, like the peak; two: wall-clock time.
        func timeGEMM(threads: Int) -> Double {
            Parallelism.maximumThreadCount = threads
            return a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        let body = {
                            gemm(transposeA: shape.transposeA, transposeB: shape.transposeB,
                                 m: shape.m, n: shape.n, k: shape.k,
                                 alpha: 1, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                 beta: 0, c: c.baseAddress!, ldc: shape.n)
                            blackHole(c[0])
                        }
                        return threads == 1 ? cpuSecondsPerCall(repeats: 2, minimumSeconds: 0.02, body) : secondsPerCall(body)
                    }
                }
            }
        }
        // Other processes share the two cores; alternate the timings and keep the best of five
        // rounds of each, so a burst of outside load does not land on one side only. Each round's
        // one-thread time is also taken as a fraction of the peak timed just before and after it
        // (the faster of the two), and the row gives the median of those fractions.
        var one = Double.infinity, two = Double.infinity, peak = 0.0
        var fractions: [Double] = []
        for _ in 0..<5 {
            Parallelism.maximumThreadCount = 1
            let before = measuredPeakFLOPS(repeats: 1, minimumSeconds: 0.02)
            let roundOne = timeGEMM(threads: 1)
            let after = measuredPeakFLOPS(repeats: 1, minimumSeconds: 0.02)
            let roundPeak = max(before, after)
            fractions.append(flops / roundOne / roundPeak)
            one = min(one, roundOne)
            peak = max(peak, roundPeak)
            peakLow = min(peakLow, before, after)
            peakHigh = max(peakHigh, roundPeak)
            peakTimings += 2
            two = min(two, timeGEMM(threads: 2))
        }
        fractions.sort()
        let fraction = fractions[fractions.count / 2]
        let fractionLabel = String(format: "of peak (%d rounds: %.2f–%.2f)", fractions.count, fractions[0], fractions[fractions.count - 1])
        // The naive loop is slow at 1024² (~1 s); time it there once rather than five times.
        let naiveOnce = flops > 1e9
        let naive = a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    secondsPerCall(repeats: naiveOnce ? 1 : 5, minimumSeconds: naiveOnce ? 1e-9 : 0.05) {
                        naiveProduct(shape, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, c: c.baseAddress!)
                        blackHole(c[0])
                    }
                }
            }
        }
        if flops < 2e6 {
            // Per-call cost is what matters for the tape's small products.
            table.add("gemm", "\(shape.label), 1 thread", value: one * 1e6, unit: "µs/call",
                      ratio: fraction, versus: fractionLabel)
        } else {
            table.add("gemm", "\(shape.label), 1 thread", value: flops / one / 1e9, unit: "GFLOPS",
                      ratio: fraction, versus: fractionLabel)
        }
        table.add("gemm", "\(shape.label), 2 threads", value: flops / two / 1e9, unit: "GFLOPS",
                  ratio: flops / two / (2 * peak), versus: "of 2 × peak (\(String(format: "%.2f", one / two))× 1 thread)")
        table.add("gemm", "\(shape.label), vs naive", value: flops / naive / 1e9, unit: "GFLOPS",
                  ratio: naive / one, versus: naiveOnce ? "naive i-k-j loop (timed once), 1 thread" : "naive i-k-j loop, 1 thread")
    }
    table.add("gemm", "peak, timed beside the products: best", value: peakHigh / 1e9, unit: "GFLOPS",
              ratio: peakLow / peakHigh,
              versus: String(format: "lowest / best of %d timings (%.1f–%.1f GFLOPS)", peakTimings, peakLow / 1e9, peakHigh / 1e9))
}

/// The reference: scalar i-k-j loops (C row updated in order, so the optimizer may still
/// vectorize the innermost loop, as it would for any user's naive loop).
private func naiveProduct(_ shape: GEMMShape, a: UnsafePointer<Float>, lda: Int,
                          b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>) {
    let m = shape.m, n = shape.n, k = shape.k
    for i in 0..<m {
        let row = c + i * n
        for j in 0..<n { row[j] = 0 }
        for p in 0..<k {
            let x = shape.transposeA ? a[p * lda + i] : a[i * lda + p]
            if shape.transposeB {
                for j in 0..<n { row[j] += x * b[j * ldb + p] }
            } else {
                let bRow = b + p * ldb
                for j in 0..<n { row[j] += x * bRow[j] }
            }
        }
    }
}
