// RandomBench: Philox fills against a naive scalar loop and a plain write of the same bytes.

import Foundation
import NoisyOptim

/// Rows for the "random" group: uniform and normal fills and `addNormal` on 10 M floats, with one
/// thread and with every thread allowed. References timed in the same run: a naive scalar
/// Box–Muller loop (the same generator's `next()`, Foundation's `log`, `cos`, `sin` per sample) and
/// a plain write of the same number of bytes (what a fill costs if generating were free).
func benchRandom(_ table: inout BenchTable) {
    let count = 10_000_000
    let group = "random"
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    let allThreads = max(2, ProcessInfo.processInfo.activeProcessorCount)

    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0)
    let source = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
    defer { source.deallocate() }
    source.initialize(repeating: 1)
    var generator = Philox4x32(seed: 20_240_601)
    let millions = Double(count) / 1e6

    // References.
    Parallelism.maximumThreadCount = 1
    // One-thread figures in the calling thread's CPU time (robust to other load on the machine);
    // the all-threads rows in wall-clock time.
    let naiveSeconds = cpuSecondsPerCall(repeats: 3, minimumSeconds: 0.2) {
        naiveNormalFill(buffer, using: &generator)
        blackHole(buffer[count - 1])
    }
    table.add(group, "naive scalar Box–Muller (Foundation), 10M", value: millions / naiveSeconds, unit: "M/s")
    let writeSeconds = cpuSecondsPerCall {
        _ = buffer.update(fromContentsOf: source)
        blackHole(buffer[count - 1])
    }
    table.add(group, "plain write of 10M floats (memcpy)", value: millions / writeSeconds, unit: "M/s")

    func measure(_ name: String, _ body: () -> Void) -> Double {
        var perThreads: [Double] = []
        for threads in [1, allThreads] {
            Parallelism.maximumThreadCount = threads
            let timed = { body(); blackHole(buffer[count - 1]) }
            let rate = millions / (threads == 1 ? cpuSecondsPerCall(timed) : secondsPerCall(timed))
            perThreads.append(rate)
            if threads == 1 {
                table.add(group, "\(name), 1 thread", value: rate, unit: "M/s",
                          ratio: rate * naiveSeconds / millions, versus: "naive scalar")
            } else {
                table.add(group, "\(name), \(threads) threads", value: rate, unit: "M/s",
                          ratio: rate / perThreads[0], versus: "1 thread")
            }
        }
        return perThreads[1]
    }

    let normalRate = measure("fillNormal 10M") { generator.fillNormal(buffer) }
    table.add(group, "fillNormal 10M, all threads vs memcpy", value: normalRate, unit: "M/s",
              ratio: normalRate * writeSeconds / millions, versus: "plain write")
    // The uniform fill is the Philox blocks plus one conversion per word. The normal stream used to
    // take one Philox word per normal too (Box–Muller, 0.51 of this rate); Philox now only seeds its
    // xoshiro128++ lanes, so it can run faster than the uniform fill. The two alternate, round by
    // round: timed one after the other, a shared core's rate can halve between them.
    Parallelism.maximumThreadCount = 1
    let versusUniform = alternatingRatios(
        { cpuSecondsPerCall(repeats: 1) { generator.fillUniform(buffer); blackHole(buffer[count - 1]) } },
        { cpuSecondsPerCall(repeats: 1) { generator.fillNormal(buffer); blackHole(buffer[count - 1]) } })
    table.add(group, "fillNormal 10M vs fillUniform, 1 thread", value: millions / versusUniform.best, unit: "M/s",
              ratio: versusUniform.median, versus: spread(versusUniform, "of fillUniform (Philox + one conversion)"))
    let uniformRate = measure("fillUniform 10M") { generator.fillUniform(buffer) }
    table.add(group, "fillUniform 10M, all threads vs memcpy", value: uniformRate, unit: "M/s",
              ratio: uniformRate * writeSeconds / millions, versus: "plain write")
    _ = measure("addNormal 10M (σ = 0.01)") { generator.addNormal(to: buffer, standardDeviation: 0.01) }
}

/// The loop one writes first: one `next()` per pair, Foundation's log/cos/sin on each.
@inline(never)
private func naiveNormalFill(_ buffer: UnsafeMutableBufferPointer<Float>, using generator: inout Philox4x32) {
    var i = 0
    while i < buffer.count {
        let bits = generator.next()
        let u = Float((bits & 0xFFFF_FFFF) >> 8 + 1) * 0x1p-24
        let theta = 2 * Float.pi * Float(bits >> 40) * 0x1p-24
        let r = (-2 * log(u)).squareRoot()
        buffer[i] = r * cos(theta)
        if i + 1 < buffer.count { buffer[i + 1] = r * sin(theta) }
        i += 2
    }
}
