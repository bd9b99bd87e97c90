// AutodiffBench: forward + backward of two MLPs through the tape, the share of that time spent
// outside GEMM, and resident memory over a long training loop.
//
// The GEMM share is measured, not estimated: one step is recorded with the tape's GEMM log on,
// and the logged calls (same shapes, transposes, β and operand buffers) are replayed alone in
// the same run, alternating with whole steps. Step time minus replay time is the cost of
// everything else: recording, the row gather, the elementwise forwards and pullbacks, the loss,
// and (with several threads) waking the GEMM's worker threads for each call.

import Foundation
import NoisyOptim

func benchAutodiff(_ table: inout BenchTable) {
    print("autodiff: MLP784 = 784-256-256-10 ReLU, batch 128; MLP64 = 64-128-10 tanh, batch 32; softmax cross-entropy")
    benchMLPStep(&table, tag: "MLP784", sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
    benchMLPStep(&table, tag: "MLP64", sizes: [64, 128, 10], activation: .tanh, batch: 32, examples: 1024)
    benchTapePerOp(&table)
}

/// The tape's fixed cost per op: a chain of 1,000 ops on 8-element tensors (y ← y·x, y ← y + x
/// alternating, then a sum), forward and backward on a reused tape, one thread, CPU time. The
/// arithmetic is 8 lanes per op, so what is left is recording, dispatch and the pullback's
/// bookkeeping. The reference in the same run: the same chain as plain Tensor arithmetic (no
/// tape, forward only), which allocates each result.
private func benchTapePerOp(_ table: inout BenchTable) {
    var layout = ParameterLayout()
    let segment = layout.append("x", shape: [8])
    let x = Tensor(shape: [8], scalars: (0..<8).map { 1 + Float($0) * 1e-3 })
    let tape = Tape()
    let ops = 1000
    let threads = Parallelism.maximumThreadCount
    Parallelism.maximumThreadCount = 1
    defer { Parallelism.maximumThreadCount = threads }
    let taped = cpuSecondsPerCall {
        let (value, gradient) = tape.valueWithGradient(at: x, in: layout) { tape in
            let v = tape.parameter(segment)
            var y = v
            for i in 0..<ops { y = i % 2 == 0 ? y * v : y + v }
            return y.sum()
        }
        blackHole(value); blackHole(gradient)
    }
    let plain = cpuSecondsPerCall {
        var y = x
        for i in 0..<ops { y = i % 2 == 0 ? y * x : y + x }
        blackHole(y)
    }
    table.add("autodiff", "tape: one op, 8 floats, forward + backward", value: taped / Double(ops) * 1e6, unit: "µs CPU",
              ratio: taped / plain, versus: "the Tensor forward alone")
}

/// A deterministic classification problem: inputs uniform in [−1, 1), labels cycling (also the
/// peer group's MLP workloads).
struct Problem {
    let model: MLP
    let inputs: Tensor
    let labels: [Int]
    let batches: [SampleWeights]
    var parameters: Tensor

    init(sizes: [Int], activation: Activation, batch: Int, examples: Int) {
        model = MLP(sizes: sizes, activation: activation)
        var generator = Philox4x32(seed: 2024)
        inputs = Tensor.randomUniform([examples, sizes[0]], from: -1, to: 1, using: &generator)
        labels = (0..<examples).map { $0 % sizes[sizes.count - 1] }
        let order = (0..<examples).shuffled(using: &generator)
        batches = stride(from: 0, to: examples - batch + 1, by: batch).map {
            SampleWeights.batch(Array(order[$0..<($0 + batch)]), exampleCount: examples)
        }
        parameters = model.initialParameters(seed: 7)
    }
}

private func benchMLPStep(_ table: inout BenchTable, tag: String, sizes: [Int], activation: Activation,
                          batch: Int, examples: Int) {
    var problem = Problem(sizes: sizes, activation: activation, batch: batch, examples: examples)
    let objective = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
    let weights = problem.batches[0]
    let parameters = problem.parameters
    let replay = GEMMReplay(recording: problem.model, inputs: problem.inputs, labels: problem.labels,
                            parameters: parameters, weights: weights)

    // Forward + backward as an optimizer calls it, and the same GEMM calls alone (wall clock, all
    // threads). Then both on one thread in process CPU time, which time spent descheduled by other
    // work on a shared machine does not inflate, and where no worker wake-up is charged to the
    // tape: the tape's own work.
    let threads = Parallelism.maximumThreadCount
    let (step, gemmOnly, outside) = pairedTimes(replay, clock: .wall) { blackHole(try! objective(parameters, weights)) }
    // Milliseconds, or microseconds for the small model so its rows keep three digits.
    let (scale, unit) = step < 1e-3 ? (1e6, "µs") : (1e3, "ms")
    table.add("autodiff", "\(tag) forward + backward", value: step * scale, unit: "\(unit)/step")
    table.add("autodiff", "\(tag) its \(replay.calls.count) GEMM calls alone", value: gemmOnly * scale, unit: unit,
              ratio: gemmOnly / step, versus: "of the step")
    table.add("autodiff", "\(tag) outside GEMM", value: outside * step * scale, unit: unit,
              ratio: outside, versus: "of the step (wall clock, \(threads) threads)")
    Parallelism.maximumThreadCount = 1
    let (step1, _, outside1) = pairedTimes(replay, clock: .processCPU) { blackHole(try! objective(parameters, weights)) }
    Parallelism.maximumThreadCount = threads
    table.add("autodiff", "\(tag) 1 thread: forward + backward", value: step1 * scale, unit: "\(unit) CPU")
    table.add("autodiff", "\(tag) tape overhead (1 thread, CPU time)", value: outside1 * step1 * scale, unit: "\(unit) CPU",
              ratio: outside1, versus: "of the step (process CPU time)")

    // A training step: forward + backward + SGD θ ← θ − η·g in place (one pass over the buffer,
    // and no temporary, so the memory rows below see only the tape).
    let learningRate: Float = 0.01
    func sgd(_ point: inout Tensor, _ gradient: Tensor) {
        point.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in for i in p.indices { p[i] -= learningRate * g[i] } }
        }
    }
    let trainStep = secondsPerCall {
        let (_, gradient) = try! objective(problem.parameters, weights)
        sgd(&problem.parameters, gradient)
    }
    // PyTorch on the same step is timed by the `peer` group.
    table.add("autodiff", "\(tag) forward + backward + SGD step", value: trainStep * scale, unit: "\(unit)/step")

    // Resident memory over a long loop through every mini-batch in turn: 10,000 steps, or 1,000
    // where a step is so slow (the placeholder GEMM) that 10,000 would take minutes.
    let steps = trainStep < 0.01 ? 10_000 : 1_000
    var atStep100 = MemoryStatus()
    var point = parameters
    for k in 1...steps {
        let (_, gradient) = try! objective(point, problem.batches[k % problem.batches.count])
        sgd(&point, gradient)
        if k == 100 { atStep100 = MemoryStatus() }
    }
    let atEnd = MemoryStatus()
    table.add("autodiff", "\(tag) VmHWM (peak RSS) at step 100", value: atStep100.peakKilobytes / 1024, unit: "MiB")
    table.add("autodiff", "\(tag) VmHWM (peak RSS) at step \(steps)", value: atEnd.peakKilobytes / 1024, unit: "MiB",
              ratio: atEnd.peakKilobytes / atStep100.peakKilobytes, versus: "step 100")
    table.add("autodiff", "\(tag) VmRSS at step 100", value: atStep100.residentKilobytes / 1024, unit: "MiB")
    table.add("autodiff", "\(tag) VmRSS at step \(steps)", value: atEnd.residentKilobytes / 1024, unit: "MiB",
              ratio: atEnd.residentKilobytes / atStep100.residentKilobytes, versus: "step 100")
    blackHole(point)
}

/// Step time and GEMM-replay time, each the minimum of 9 runs taken in alternation (the least
/// disturbed sample on a shared machine; alternation puts both sides under the same conditions),
/// and the share of the step spent outside GEMM.
private func pairedTimes(_ replay: GEMMReplay, clock: BenchClock, _ step: () -> Void) -> (step: Double, gemm: Double, outsideShare: Double) {
    var stepTime = Double.infinity, gemmTime = Double.infinity
    for _ in 0..<9 {
        stepTime = min(stepTime, clock.secondsPerCall(step))
        gemmTime = min(gemmTime, clock.secondsPerCall { replay.run() })
    }
    return (stepTime, gemmTime, (stepTime - gemmTime) / stepTime)
}

private enum BenchClock {
    case wall, processCPU

    /// Seconds per call over enough calls to last 0.1 s.
    func secondsPerCall(_ body: () -> Void) -> Double {
        switch self {
        case .wall:
            return noisyoptim_bench.secondsPerCall(repeats: 1, minimumSeconds: 0.1, body)
        case .processCPU:
            body() // warm-up
            var calls = 0
            let start = BenchClock.processCPUSeconds()
            var elapsed = 0.0
            while elapsed < 0.1 {
                body()
                calls += 1
                elapsed = BenchClock.processCPUSeconds() - start
            }
            return elapsed / Double(calls)
        }
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// Replays the GEMM calls of one recorded step on that step's own buffers (same addresses, so the
/// same alignment and cache behaviour), without the rest of the step.
private final class GEMMReplay {
    let calls: [GEMMCall]
    /// What the logged pointers point into: the recording tape's arena, the parameters, the gradient.
    private let tape = Tape()
    private let parameters: Tensor
    private let gradient: Tensor

    init(recording model: MLP, inputs: Tensor, labels: [Int], parameters: Tensor, weights: SampleWeights) {
        self.parameters = parameters
        tape.gemmCalls = []
        gradient = tape.valueWithGradient(at: parameters, in: model.layout) { tape in
            let logits = model(tape.constant(inputs).gatheringRows(weights.indices))
            return weightedSum(softmaxCrossEntropy(logits: logits, labels: weights.indices.map { labels[$0] }), weights: weights.weights)
        }.gradient
        calls = tape.gemmCalls ?? []
    }

    func run() {
        withExtendedLifetime((tape, parameters, gradient)) {
            for call in calls { call.run() }
        }
    }
}

/// VmHWM (peak resident set) and VmRSS (resident set) from /proc/self/status, in KiB.
private struct MemoryStatus {
    var peakKilobytes = 0.0
    var residentKilobytes = 0.0

    init() {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return }
        for line in status.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, let value = Double(fields[1]) else { continue }
            if fields[0] == "VmHWM:" { peakKilobytes = value }
            if fields[0] == "VmRSS:" { residentKilobytes = value }
        }
    }
}
