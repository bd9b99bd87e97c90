// OptimizerBench: the optimizer step against the memory bandwidth it cannot beat.
//
// A momentum-SGD step reads θ, g, v and writes θ, v: 20 bytes per parameter. The reference is a
// plain copy moving the same bytes (half read, half written) in the same run, so the ratio says
// how close the step comes to the bandwidth bound.
//
// The finiteness check: a user tensor is read once more by the step (4 more bytes per parameter);
// a gradient from the tape was checked as the tape produced it and is not. The rows time both
// against the unchecked step, and the producer's side (the tape's backward with and without its
// check) on a 10M-parameter Σ cᵢθᵢ, where the check is a pass of its own over memory, and on an
// MLP, whose segments are still in cache when checked.

import Dispatch
import Foundation
import NoisyOptim

/// Copies `bytes` bytes from `source` to `destination` on `threads` threads: the bandwidth bound.
private func parallelCopy(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, bytes: Int, threads: Int) {
    if threads == 1 {
        destination.copyMemory(from: source, byteCount: bytes)
        return
    }
    let destination = UInt(bitPattern: destination), source = UInt(bitPattern: source)
    DispatchQueue.concurrentPerform(iterations: threads) { part in
        let lower = bytes * part / threads & ~63, upper = part == threads - 1 ? bytes : bytes * (part + 1) / threads & ~63
        UnsafeMutableRawPointer(bitPattern: destination + UInt(lower))!
            .copyMemory(from: UnsafeRawPointer(bitPattern: source + UInt(lower))!, byteCount: upper - lower)
    }
}

/// Seconds per copy of `bytes` bytes (each read once and written once).
private func copySeconds(bytes: Int, threads: Int) -> Double {
    let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let destination = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { source.deallocate(); destination.deallocate() }
    source.initializeMemory(as: UInt8.self, repeating: 1, count: bytes)
    destination.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    return secondsPerCall(repeats: 5, minimumSeconds: 0.2) { parallelCopy(destination, source, bytes: bytes, threads: threads) }
}

/// Seconds per pass of the momentum step's own memory traffic with no arithmetic to speak of:
/// θ += g and v += g, 16 lanes at a time (reads θ, g, v; writes θ, v: 20 bytes per parameter).
/// Unlike a copy, it writes only lines it has just read, as the update does, so there is no
/// extra read-for-ownership traffic: the tight bandwidth bound of the update. With
/// `stateBuffers: 2` (m and v) it is Adam's traffic: θ += g, m += g, v += g, 28 bytes per parameter.
func sameTrafficSeconds(count n: Int, threads: Int, stateBuffers: Int = 1) -> Double {
    let theta = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let gradient = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let velocity = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let second = UnsafeMutablePointer<Float>.allocate(capacity: stateBuffers > 1 ? n : 1)
    defer { theta.deallocate(); gradient.deallocate(); velocity.deallocate(); second.deallocate() }
    theta.initialize(repeating: 1, count: n)
    gradient.initialize(repeating: 0, count: n)
    velocity.initialize(repeating: 0, count: n)
    if stateBuffers > 1 { second.initialize(repeating: 0, count: n) }
    let addresses = (UInt(bitPattern: theta), UInt(bitPattern: gradient), UInt(bitPattern: velocity), UInt(bitPattern: second))
    let both = stateBuffers > 1
    return secondsPerCall(repeats: 5, minimumSeconds: 0.2) {
        DispatchQueue.concurrentPerform(iterations: threads) { part in
            let t = UnsafeMutableRawPointer(bitPattern: addresses.0)!
            let g = UnsafeRawPointer(bitPattern: addresses.1)!
            let v = UnsafeMutableRawPointer(bitPattern: addresses.2)!
            let w = UnsafeMutableRawPointer(bitPattern: addresses.3)!
            let stride = MemoryLayout<SIMD16<Float>>.stride
            let vectors = n / 16
            var i = vectors * part / threads
            let end = vectors * (part + 1) / threads
            while i < end {
                let offset = i * stride
                let d = g.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                t.storeBytes(of: t.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) + d, toByteOffset: offset, as: SIMD16<Float>.self)
                v.storeBytes(of: v.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) + d, toByteOffset: offset, as: SIMD16<Float>.self)
                if both {
                    w.storeBytes(of: w.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) + d, toByteOffset: offset, as: SIMD16<Float>.self)
                }
                i += 1
            }
        }
    }
}

/// The gradient of L(θ) = Σᵢ cᵢθᵢ with every cᵢ = 10⁻³, as the tape produces it: the scalars of
/// the user tensor `Tensor(shape: [n], repeating: 1e-3)` (∂L/∂θᵢ = 1·cᵢ exactly), flagged known
/// finite by the tape's check. Nothing writes to it afterwards, so every step sees it flagged.
func tapeGradient(count n: Int) -> Tensor {
    let layout = ParameterLayout.flat(count: n)
    let c = Tensor(shape: [n], repeating: 1e-3)
    let (_, gradient) = valueWithGradient(at: Tensor(shape: [n], repeating: 1), in: layout) { tape in
        (tape.parameter(layout.segments[0]) * tape.constant(c)).sum()
    }
    guard gradient.isKnownFinite && gradient == c else { fatalError("the tape's gradient of Σ cᵢθᵢ should be c, flagged") }
    return gradient
}

func benchOptimizers(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    let n = 10_000_000
    let layout = ParameterLayout.flat(count: n)
    let gradient = Tensor(shape: [n], repeating: 1e-3)

    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        // Momentum SGD moves 20 bytes per parameter; the copy moves 10 one way, 10 the other.
        let bytes = 20.0 * Double(n)
        let copy = copySeconds(bytes: 10 * n, threads: threads)
        table.add("optim", "copy 100 MB (\(threads) thread\(threads > 1 ? "s" : ""))", value: bytes / copy / 1e9, unit: "GB/s")

        var sgd = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9).withNonFiniteGradientPolicy(.propagate)
        var theta = Tensor(shape: [n], repeating: 1)
        let update = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! sgd.step(&theta, gradient: gradient) }
        table.add("optim", "momentum update 10M, unchecked (\(threads)t)", value: bytes / update / 1e9, unit: "GB/s",
                  ratio: copy / update, versus: "copy")
        let traffic = sameTrafficSeconds(count: n, threads: threads)
        table.add("optim", "θ += g, v += g, same bytes (\(threads)t)", value: bytes / traffic / 1e9, unit: "GB/s")
        table.add("optim", "momentum update 10M vs same traffic (\(threads)t)", value: bytes / update / 1e9, unit: "GB/s",
                  ratio: traffic / update, versus: "θ += g, v += g")

        var checked = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9)
        let step = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! checked.step(&theta, gradient: gradient) }
        table.add("optim", "momentum 10M, check, user tensor (\(threads)t)", value: Double(n) / step / 1e6,
                  unit: "M par/s", ratio: update / step, versus: "unchecked")

        // The same step on the tape's (flagged) gradient: the check was made by the tape. Five
        // rounds, each the unchecked step then the checked one on the same gradient, θ and
        // velocity (one optimizer whose policy is switched: the state keeps its buffers), so only
        // the check differs; for the user tensor and for the tape's gradient.
        let flagged = tapeGradient(count: n)
        var same = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9)
        func momentumSeconds(_ policy: NonFiniteGradientPolicy, _ g: Tensor) -> Double {
            same = same.withNonFiniteGradientPolicy(policy)
            return secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! same.step(&theta, gradient: g) }
        }
        let user = alternatingRatios({ momentumSeconds(.propagate, gradient) }, { momentumSeconds(.throwError, gradient) })
        table.add("optim", "momentum 10M, check, user tensor ×5 (\(threads)t)", value: Double(n) / user.best / 1e6,
                  unit: "M par/s", ratio: user.median, versus: spread(user, "unchecked"))
        let tape = alternatingRatios({ momentumSeconds(.propagate, flagged) }, { momentumSeconds(.throwError, flagged) })
        table.add("optim", "momentum 10M, check, tape gradient ×5 (\(threads)t)", value: Double(n) / tape.best / 1e6,
                  unit: "M par/s", ratio: tape.median, versus: spread(tape, "unchecked"))

        // Adam moves 28 bytes per parameter (θ, g, m, v read; θ, m, v written) against momentum's 20.
        var adam = try! Adam(layout: layout, learningRate: 1e-3)
        let adamStep = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! adam.step(&theta, gradient: gradient) }
        table.add("optim", "Adam step 10M, user tensor (\(threads)t)", value: Double(n) / adamStep / 1e6, unit: "M par/s",
                  ratio: step / adamStep, versus: "momentum")
        var adamUnchecked = try! Adam(layout: layout, learningRate: 1e-3).withNonFiniteGradientPolicy(.propagate)
        let adamTraffic = { sameTrafficSeconds(count: n, threads: threads, stateBuffers: 2) }
        let adamBound = alternatingRatios(adamTraffic) {
            secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! adamUnchecked.step(&theta, gradient: gradient) }
        }
        table.add("optim", "Adam 10M unchecked vs same traffic (\(threads)t)", value: 28 * Double(n) / adamBound.best / 1e9,
                  unit: "GB/s", ratio: adamBound.median, versus: spread(adamBound, "θ,m,v += g (28 B/par)"))
        let adamTape = alternatingRatios(adamTraffic) {
            secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! adam.step(&theta, gradient: flagged) }
        }
        table.add("optim", "Adam 10M tape gradient vs same traffic (\(threads)t)", value: 28 * Double(n) / adamTape.best / 1e9,
                  unit: "GB/s", ratio: adamTape.median, versus: spread(adamTape, "θ,m,v += g (28 B/par)"))
        blackHole(theta)
    }

    // The producer's side: value and gradient of Σ cᵢθᵢ over 10M parameters on a kept tape, with
    // the tape's finiteness check off and on (on, it is one more read of the 40 MB gradient: the
    // multiply's pullback writes it whole before the check runs). Then an MLP 784-256-256-10 on a
    // batch of 128, whose segments (at most 784×256 floats, 0.8 MB) are checked in cache. On one
    // thread everything runs on the calling thread, so those rows take its CPU time (time spent
    // descheduled while a neighbour runs does not count); on two, wall-clock time.
    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        let clockName = threads == 1 ? "CPU ms" : "ms"
        func timed(_ body: () -> Void) -> Double {
            threads == 1 ? cpuSecondsPerCall(repeats: 5, minimumSeconds: 0.2, body)
                         : secondsPerCall(repeats: 5, minimumSeconds: 0.2, body)
        }
        let c = Tensor(shape: [n], repeating: 1e-3), point = Tensor(shape: [n], repeating: 1)
        let tape = Tape()
        func linearCost(_ checking: Bool) -> Double {
            tape.checksGradientFiniteness = checking
            return timed {
                blackHole(tape.valueWithGradient(at: point, in: layout) { tape in
                    (tape.parameter(layout.segments[0]) * tape.constant(c)).sum()
                })
            }
        }
        let linear = alternatingRatios({ linearCost(false) }, { linearCost(true) })
        table.add("optim", "tape Σcθ 10M value+gradient, checked (\(threads)t)", value: linear.best * 1e3, unit: clockName,
                  ratio: linear.median, versus: spread(linear, "unchecked backward"))

        let problem = Problem(sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
        let batch = problem.batches[0].indices
        let labels = batch.map { problem.labels[$0] }
        let mlpTape = Tape()
        func mlpCost(_ checking: Bool) -> Double {
            mlpTape.checksGradientFiniteness = checking
            return timed {
                blackHole(mlpTape.valueWithGradient(at: problem.parameters, in: problem.model.layout) { tape in
                    softmaxCrossEntropy(logits: problem.model(tape.constant(problem.inputs).gatheringRows(batch)), labels: labels).mean()
                })
            }
        }
        let mlp = alternatingRatios({ mlpCost(false) }, { mlpCost(true) })
        table.add("optim", "tape MLP784 b128 fwd+bwd, checked (\(threads)t)", value: mlp.best * 1e3, unit: clockName,
                  ratio: mlp.median, versus: spread(mlp, "unchecked backward"))
    }

    // The noise alone: 10M normals added block by block into L1-sized buffers, one per thread — the
    // compute ceiling of a noisy step.
    for threads in [1, 2] {
        let blocksPerThread = n / UpdateBlock.size / threads
        let seconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) {
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                var scratch = [Float](repeating: 0, count: UpdateBlock.size)
                scratch.withUnsafeMutableBufferPointer { buffer in
                    for block in 0..<blocksPerThread {
                        var generator = Philox4x32(seed: UInt64(block) | UInt64(part) << 32)
                        generator.addNormal(to: buffer, standardDeviation: 0.1)
                    }
                }
            }
        }
        table.add("optim", "noise generation alone, L1 blocks (\(threads)t)",
                  value: Double(blocksPerThread * threads * UpdateBlock.size) / seconds / 1e6, unit: "M/s")
    }

    // Noisy SGD (annealed gradient noise + momentum): the noise is generated block by block into the
    // L1-resident direction, so its only cost over the plain step should be generating it.
    for count in [1_000_000, 10_000_000] {
        let layout = ParameterLayout.flat(count: count)
        let gradient = Tensor(shape: [count], repeating: 1e-3)
        let label = count >= 10_000_000 ? "10M" : "1M"
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            var theta = Tensor(shape: [count], repeating: 1)
            var plain = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9)
            var noisy = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9)
                .withGradientNoise(GradientNoise(eta: 0.01, seed: 1))
            let plainSeconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! plain.step(&theta, gradient: gradient) }
            let noisySeconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! noisy.step(&theta, gradient: gradient) }
            table.add("optim", "momentum step \(label) (\(threads)t)", value: Double(count) / plainSeconds / 1e6, unit: "M par/s")
            table.add("optim", "noisy momentum step \(label) (\(threads)t)", value: Double(count) / noisySeconds / 1e6,
                      unit: "M par/s", ratio: plainSeconds / noisySeconds, versus: "plain")
            blackHole(theta)
        }
    }
}

/// Scaling rows: the unchecked momentum update on 1M, 10M and 100M parameters at 1 and 2 threads
/// beside the same-traffic loop (θ += g, v += g) on the same count. Three alternating rounds per
/// row; the row shows the best update bandwidth, the median of the three update/bound ratios and
/// their spread, since on a shared machine these memory-bound figures move the most.
func benchScaling(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    for (count, label) in [(1_000_000, "1M"), (10_000_000, "10M"), (100_000_000, "100M")] {
        let layout = ParameterLayout.flat(count: count)
        let gradient = Tensor(shape: [count], repeating: 1e-3)
        var theta = Tensor(shape: [count], repeating: 1)
        let bytes = 20.0 * Double(count)
        // Fewer, longer samples for the large counts (a 100M step moves 2 GB).
        let repeats = count >= 100_000_000 ? 3 : 5
        for threads in [1, 2] {
            Parallelism.maximumThreadCount = threads
            var sgd = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9).withNonFiniteGradientPolicy(.propagate)
            var ratios: [Double] = []
            var best = Double.infinity
            for _ in 0..<3 {
                let update = secondsPerCall(repeats: repeats, minimumSeconds: 0.2) { try! sgd.step(&theta, gradient: gradient) }
                let traffic = sameTrafficSeconds(count: count, threads: threads)
                best = min(best, update)
                ratios.append(traffic / update)
            }
            ratios.sort()
            table.add("scaling", "momentum update \(label), unchecked (\(threads)t)", value: bytes / best / 1e9, unit: "GB/s",
                      ratio: ratios[1],
                      versus: String(format: "same traffic (3 rounds: %.2f–%.2f)", ratios[0], ratios[2]))
        }
        blackHole(theta)
    }
}
