// PerExampleBench: per-example gradients against the plain forward + backward of the same MLP
// and batch, timed in the same run: the B × P matrix, the squared norms alone, and DP-SGD's
// clipped sum. Goal ≤ 2× the plain step (Opacus' hooks are the reference a user would compare).
//
// Each figure is the minimum over rounds that alternate all four steps (the least disturbed
// sample on a shared machine, both sides of a ratio under the same conditions): wall clock with
// every thread, then one thread in process CPU time, which time spent descheduled does not inflate.

import Foundation
import NoisyOptim

func benchPerExample(_ table: inout BenchTable) {
    print("perexample: MLP784 = 784-256-256-10 ReLU, batch 128; MLP64 = 64-128-10 tanh, batch 32; softmax cross-entropy; clipping norm C = 1")
    benchPerExampleMLP(&table, tag: "MLP784", sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
    benchPerExampleMLP(&table, tag: "MLP64", sizes: [64, 128, 10], activation: .tanh, batch: 32, examples: 1024)
}

private func benchPerExampleMLP(_ table: inout BenchTable, tag: String, sizes: [Int], activation: Activation,
                                batch: Int, examples: Int) {
    let problem = Problem(sizes: sizes, activation: activation, batch: batch, examples: examples)
    let plain = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
    let perExample = problem.model.perExampleObjective(inputs: problem.inputs, labels: problem.labels)
    let weights = problem.batches[0], parameters = problem.parameters
    // The floor of the matrix's cost: B·P floats stored by a plain vector loop (the stores the
    // outer products make; memset would use non-temporal stores, which Swift code cannot).
    let matrixCount = batch * problem.model.layout.count
    let floor = UnsafeMutablePointer<Float>.allocate(capacity: matrixCount)
    defer { floor.deallocate() }
    let steps: [(name: String, run: () -> Void)] = [
        ("plain fwd + bwd", { blackHole(try! plain(parameters, weights)) }),
        ("per-example B × P matrix", { blackHole(try! perExample(parameters, weights, .matrix)) }),
        ("per-example norms only", { blackHole(try! perExample(parameters, weights, .squaredNorms)) }),
        ("per-example clipped sum", { blackHole(try! perExample(parameters, weights, .clipped(toNorm: 1))) }),
        ("B × P stores alone (floor)", { storeEverywhere(floor, count: matrixCount) }),
    ]
    func fastest(_ secondsPerCall: (() -> Void) -> Double) -> [Double] {
        var best = [Double](repeating: .infinity, count: steps.count)
        for _ in 0..<5 {
            for (k, step) in steps.enumerated() { best[k] = min(best[k], secondsPerCall(step.run)) }
        }
        return best
    }
    let wall = fastest { secondsPerCall(repeats: 1, minimumSeconds: 0.1, $0) }
    let threads = Parallelism.maximumThreadCount
    Parallelism.maximumThreadCount = 1
    let cpu = fastest(cpuSecondsPerCall)
    Parallelism.maximumThreadCount = threads

    let (scale, unit) = wall[0] < 1e-3 ? (1e6, "µs") : (1e3, "ms")
    for (times, label, unitLabel) in [(wall, "", "\(unit)/step"), (cpu, "1 thread: ", "\(unit) CPU")] {
        table.add("perex", "\(tag) \(label)\(steps[0].name)", value: times[0] * scale, unit: unitLabel)
        for k in 1..<steps.count {
            table.add("perex", "\(tag) \(label)\(steps[k].name)", value: times[k] * scale, unit: unitLabel,
                      ratio: times[k] / times[0], versus: "of plain (goal ≤ 2×)")
        }
    }
}

/// Writes a vector to every 16 floats of `p` (count a multiple of 16 or not: the tail is skipped).
@inline(never)
private func storeEverywhere(_ p: UnsafeMutablePointer<Float>, count: Int) {
    let v = SIMD16<Float>(repeating: 1)
    var i = 0
    while i + 16 <= count {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: SIMD16<Float>.self)
        i += 16
    }
    blackHole(p.pointee)
}

/// Process CPU seconds per call of `body`, over enough calls to last 0.1 s.
private func cpuSecondsPerCall(_ body: () -> Void) -> Double {
    func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
    body() // warm-up
    var calls = 0
    let start = now()
    var elapsed = 0.0
    while elapsed < 0.1 {
        body()
        calls += 1
        elapsed = now() - start
    }
    return elapsed / Double(calls)
}
