// PerExampleBench: per-example gradients against the plain forward + backward of the same MLP
// and batch, timed in the same run: the B × P matrix, the squared norms alone, and DP-SGD's
// clipped sum. Goal ≤ 2× the plain step (Opacus' hooks are the reference a user would compare).

import NoisyOptim

func benchPerExample(_ table: inout BenchTable) {
    print("perexample: MLP784 = 784-256-256-10 ReLU, batch 128; MLP64 = 64-128-10 tanh, batch 32; softmax cross-entropy")
    benchPerExampleMLP(&table, tag: "MLP784", sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
    benchPerExampleMLP(&table, tag: "MLP64", sizes: [64, 128, 10], activation: .tanh, batch: 32, examples: 1024)
}

private func benchPerExampleMLP(_ table: inout BenchTable, tag: String, sizes: [Int], activation: Activation,
                                batch: Int, examples: Int) {
    let problem = Problem(sizes: sizes, activation: activation, batch: batch, examples: examples)
    let plain = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
    let perExample = problem.model.perExampleObjective(inputs: problem.inputs, labels: problem.labels)
    let weights = problem.batches[0], parameters = problem.parameters
    let requests: [(String, PerExampleRequest)] = [
        ("B × P matrix", .matrix),
        ("squared norms only", .squaredNorms),
        ("clipped sum (DP-SGD, C = 1)", .clipped(toNorm: 1)),
    ]
    // Plain and per-example steps alternate, each timing its median, so load on a shared machine
    // reaches both sides of a ratio alike.
    var plainTimes: [Double] = [], times = [[Double]](repeating: [], count: requests.count)
    for _ in 0..<3 {
        plainTimes.append(secondsPerCall { blackHole(try! plain(parameters, weights)) })
        for (k, request) in requests.enumerated() {
            times[k].append(secondsPerCall { blackHole(try! perExample(parameters, weights, request.1)) })
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let step = median(plainTimes)
    let (scale, unit) = step < 1e-3 ? (1e6, "µs") : (1e3, "ms")
    table.add("perex", "\(tag) plain forward + backward", value: step * scale, unit: "\(unit)/step")
    for (k, request) in requests.enumerated() {
        let t = median(times[k])
        table.add("perex", "\(tag) per-example: \(request.0)", value: t * scale, unit: "\(unit)/step",
                  ratio: t / step, versus: "of plain backward (goal ≤ 2×)")
    }
}
