// PaperSteps: one training step of each paper's own setting, the peer group's small workloads.
// Benchmarks/pytorch_peer.py builds the same problems (shapes, hyperparameters) on its side.

import NoisyOptim

/// The diagonal linear network of Orvieto et al. 2023 (see PAPERS.md): L(w) = (1/4n)·‖X(w ⊙ w) − y‖²
/// with d = 100 weights, n = 40 examples, a 5-sparse non-negative target, w₀ = 1, stepped by
/// perturbed GD (all parameters, σ = 0.03 as in the authors' demo, lr 0.01).
struct DiagonalNetStep {
    static let d = 100, n = 40
    private var optimizer: PerturbedGD
    private var w: Tensor
    private let objective: Objective

    init() {
        var generator = Philox4x32(seed: 100)
        let x = Tensor.randomNormal([Self.n, Self.d], using: &generator)
        var target = [Float](repeating: 0, count: Self.d)
        for i in 0..<5 { target[i * 17] = 1 }
        let y = matmul(x, Tensor(shape: [Self.d, 1], scalars: target.map { $0 * $0 }))
        var layout = ParameterLayout()
        let segment = layout.append("w", shape: [Self.d, 1])
        let scale = 1 / Float(4 * Self.n)
        objective = NoisyOptim.objective(in: layout) { tape, _ in
            let w = tape.parameter(segment)
            let residual = matmul(tape.constant(x), w * w) - tape.constant(y)
            return (residual * residual).sum() * scale
        }
        w = Tensor(shape: [Self.d], repeating: 1)
        optimizer = try! PerturbedGD(layout: layout, learningRate: 0.01, perturbation: Perturbation(sigma: 0.03, mode: .everyParameter, seed: 1))
    }

    mutating func run() { try! optimizer.step(&w, objective: objective) }
}

/// Neelakantan et al. 2015, Section 4.1: a 784 → 20 hidden layers × 50 ReLU → 10 net, batch 32,
/// SGD lr 0.01 with the gradient clipped to global norm 10 and annealed noise η = 0.01, γ = 0.55.
struct DeepNoisyNetStep {
    private var problem: Problem
    private var optimizer: SGD
    private let objective: Objective

    init() {
        problem = Problem(sizes: [784] + Array(repeating: 50, count: 20) + [10], activation: .relu, batch: 32, examples: 1024)
        objective = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
        optimizer = try! SGD(layout: problem.model.layout, learningRate: 0.01).withClipping(.globalNorm(10)).withGradientNoise(GradientNoise(eta: 0.01, gamma: 0.55, seed: 2))
    }

    mutating func run() {
        let (_, gradient) = try! objective(problem.parameters, problem.batches[0])
        try! optimizer.step(&problem.parameters, gradient: gradient)
    }
}

/// Wu et al. 2020: multiplicative SGD on the 64-128-10 tanh net over all 1000 examples, with a
/// Gaussian sampling vector imitating batch size 32 (W = 1/n + (σ/n)(ε − ε̄)), lr 0.01.
struct MultiplicativeNetStep {
    private var problem: Problem
    private var optimizer: MultiplicativeSGD
    private let objective: Objective

    init() {
        problem = Problem(sizes: [64, 128, 10], activation: .tanh, batch: 1000, examples: 1000)
        objective = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
        let sampling = try! GaussianSampling(exampleCount: 1000, imitatingBatchSize: 32)
        optimizer = try! MultiplicativeSGD(layout: problem.model.layout, learningRate: 0.01, sampling: sampling, samplingSeed: 3)
    }

    mutating func run() { try! optimizer.step(&problem.parameters, objective: objective) }
}

/// Rows for the "small" group: the papers' small steps alone, on one thread in process CPU time
/// (robust to a loaded machine), for profiling and for the per-step figures the peer group compares.
func benchSmall(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    Parallelism.maximumThreadCount = 1
    var diagonal = DiagonalNetStep()
    table.add("small", "diagonal net d=100 n=40, PGD step", value: cpuSecondsPerCall { diagonal.run() } * 1e6,
              unit: "µs CPU")
    var deep = DeepNoisyNetStep()
    table.add("small", "20×50 ReLU net, clip + noise, batch 32", value: cpuSecondsPerCall { deep.run() } * 1e6, unit: "µs CPU")
    var multiplicative = MultiplicativeNetStep()
    table.add("small", "64-128-10 net, MSGD on 1000 examples", value: cpuSecondsPerCall { multiplicative.run() } * 1e6,
              unit: "µs CPU")
}
