// PrivacyBench: a DP-SGD training step of the MLP 784-256-256-10 at batch 128 against the plain
// step of the same model and batch, timed in the same run (goal ≤ 2×), and against Opacus when
// `Benchmarks/opacus_peer.py` can run (goal: faster, either Opacus clipping mode).
//
// Rows per thread count: the plain step (forward, backward, SGD); DP-SGD on that very batch
// (per-example clipping to C = 1 by the one-pass identity, N(0, σ²C²) with σ = 1.1, ÷ 128, SGD);
// DP-SGD with its own Poisson batches of 128 on average out of 2048 (what training runs). Each
// figure is the least of three rounds that alternate all the steps (and Opacus's), so both sides
// of a ratio meet the same state of a shared machine.

import Foundation
import NoisyOptim

func benchPrivacy(_ table: inout BenchTable) {
    print("privacy: MLP784 = 784-256-256-10 ReLU, batch 128 of 2048, softmax cross-entropy; SGD lr 0.01; DP: C = 1, σ = 1.1")
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    var problem = Problem(sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
    let layout = problem.model.layout
    let plainObjective = problem.model.objective(inputs: problem.inputs, labels: problem.labels)
    let perExample = problem.model.perExampleObjective(inputs: problem.inputs, labels: problem.labels)
    let batch = problem.batches[0]
    let privacy = try! DifferentialPrivacy(exampleCount: 2048, expectedBatchSize: 128, clippingNorm: 1, noiseMultiplier: 1.1, seed: 5)
    // The fixed batch with DP-SGD's weights 1/(qN) = 1/128, whatever Poisson batch the step drew.
    let fixed = SampleWeights(exampleCount: 2048, indices: batch.indices,
                              weights: [Float](repeating: Float(1 / privacy.expectedBatchSize), count: batch.indices.count))
    let fixedBatch: PerExampleObjective = { point, _, request in try perExample(point, fixed, request) }

    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        let peer = PythonPeer(script: "opacus_peer.py", threads: threads, group: "privacy",
                              requiredFields: ["torch", "opacus"], installHint: "pip install opacus")
        var plain = try! SGD(layout: layout, learningRate: 0.01)
        var privateFixed = try! SGD(layout: layout, learningRate: 0.01).withPrivacy(privacy)
        var privatePoisson = privateFixed
        let ours: [(name: String, run: () -> Void)] = [
            ("plain step (fwd + bwd + SGD)", {
                let (_, gradient) = try! plainObjective(problem.parameters, batch)
                try! plain.step(&problem.parameters, gradient: gradient)
            }),
            ("DP-SGD step, the same batch", { try! privateFixed.step(&problem.parameters, perExampleObjective: fixedBatch) }),
            ("DP-SGD step, Poisson batches (E = 128)", { try! privatePoisson.step(&problem.parameters, perExampleObjective: perExample) }),
        ]
        let theirs = ["mlp784_dpsgd_step_hooks", "mlp784_dpsgd_step_ghost"]
        var best = [Double](repeating: .infinity, count: ours.count), opacus = [Double](repeating: .infinity, count: theirs.count)
        for _ in 0..<3 {
            for (k, step) in ours.enumerated() { best[k] = min(best[k], secondsPerCall(repeats: 3, minimumSeconds: 0.1, step.run)) }
            if let peer {
                for (k, workload) in theirs.enumerated() { opacus[k] = min(opacus[k], peer.seconds(workload) ?? .infinity) }
            }
        }
        table.add("privacy", "MLP784 \(ours[0].name) (\(threads)t)", value: best[0] * 1e3, unit: "ms")
        for k in 1..<ours.count {
            table.add("privacy", "MLP784 \(ours[k].name) (\(threads)t)", value: best[k] * 1e3, unit: "ms",
                      ratio: best[k] / best[0], versus: "of plain (goal ≤ 2×)")
        }
        if let peer {
            for (k, mode) in ["hooks", "ghost clipping"].enumerated() where opacus[k].isFinite {
                table.add("privacy", "MLP784 DP-SGD vs Opacus \(mode) (\(threads)t)", value: opacus[k] * 1e3, unit: "ms",
                          ratio: opacus[k] / best[1], versus: "Opacus \(peer.version("opacus")), PyTorch \(peer.version("torch")) (its time / ours)")
            }
        }
    }
}
