// PeerBench: NoisyOptim against PyTorch on the CPU, on the same workloads, in the same run.
//
// `Benchmarks/pytorch_peer.py --serve` times PyTorch (one process per thread count, since PyTorch
// fixes its thread pool at start-up) on the workload named on each line it reads. For every
// workload this group alternates three times between that process and timing NoisyOptim here,
// so both sides meet the same state of a shared machine, and prints PyTorch's best time over
// ours: above 1 means NoisyOptim is faster. PyTorch runs its own kernels for this CPU (AVX-512
// and MKL where the CPU has them); NoisyOptim runs the build it was given (the default target or
// the FMA trait). Without python3 and torch the group says so and measures nothing.

import Foundation
import NoisyOptim

func benchPeer(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    for threads in [1, 2] {
        guard let peer = PythonPeer(script: "pytorch_peer.py", threads: threads, group: "peer",
                                    requiredFields: ["torch"], installHint: "is PyTorch installed? pip install torch") else { return }
        Parallelism.maximumThreadCount = threads
        let versus = "PyTorch \(peer.version("torch")) (its time / ours)"
        /// Best of three alternations of PyTorch's timing and ours.
        func row(_ workload: String, _ name: String, scale: Double, unit: String, versus label: String? = nil,
                 _ ours: () -> Double) {
            var theirs = Double.infinity, best = Double.infinity
            for _ in 0..<3 {
                guard let seconds = peer.seconds(workload) else { return }
                theirs = min(theirs, seconds)
                best = min(best, ours())
            }
            table.add("peer", "\(name) (\(threads)t)", value: best * scale, unit: unit, ratio: theirs / best, versus: label ?? versus)
        }

        var generator = Philox4x32(seed: 3)
        let a = Tensor.randomNormal([512, 512], using: &generator), b = Tensor.randomNormal([512, 512], using: &generator)
        row("gemm512", "matmul 512×512·512×512", scale: 1e3, unit: "ms") { secondsPerCall { blackHole(matmul(a, b)) } }

        let large = Problem(sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
        let largeObjective = large.model.objective(inputs: large.inputs, labels: large.labels)
        row("mlp784_forward_backward", "MLP784 forward + backward, batch 128", scale: 1e3, unit: "ms") {
            secondsPerCall { blackHole(try! largeObjective(large.parameters, large.batches[0])) }
        }

        var small = Problem(sizes: [64, 128, 10], activation: .tanh, batch: 32, examples: 1024)
        let smallObjective = small.model.objective(inputs: small.inputs, labels: small.labels)
        var smallSGD = try! SGD(layout: small.model.layout, learningRate: 0.01)
        row("mlp64_train_step", "MLP64 fwd + bwd + SGD step, batch 32", scale: 1e6, unit: "µs") {
            secondsPerCall {
                let (_, gradient) = try! smallObjective(small.parameters, small.batches[0])
                try! smallSGD.step(&small.parameters, gradient: gradient)
            }
        }

        // The papers' own steps (see PaperSteps.swift): Orvieto's diagonal net, also against the
        // NumPy loop with the gradient written out; Neelakantan's deep net; Wu's multiplicative SGD.
        var diagonal = DiagonalNetStep()
        if threads == 1 {
            row("diagonal_net_step_numpy", "diagonal net d=100 n=40, PGD step", scale: 1e6, unit: "µs",
                versus: "NumPy loop (its time / ours)") { secondsPerCall { diagonal.run() } }
        }
        row("diagonal_net_step", "diagonal net d=100 n=40, PGD step", scale: 1e6, unit: "µs") { secondsPerCall { diagonal.run() } }
        var deep = DeepNoisyNetStep()
        row("deep_noisy_net_step", "20×50 ReLU net, clip + noise, batch 32", scale: 1e6, unit: "µs") { secondsPerCall { deep.run() } }
        var multiplicative = MultiplicativeNetStep()
        row("multiplicative_net_step", "64-128-10 net, MSGD on 1000 examples", scale: 1e6, unit: "µs") {
            secondsPerCall { multiplicative.run() }
        }

        // Optimizer steps with the library's defaults (the gradient's finiteness is checked
        // before anything is written; PyTorch does not check): on a user tensor, which the step
        // reads once more for the check; on the tape's gradient of Σ cᵢθᵢ (the same scalars),
        // which the tape checked as it produced it; and without the check.
        let n = 10_000_000
        let layout = ParameterLayout.flat(count: n)
        let flagged = tapeGradient(count: n)
        row("momentum_step_10M", "momentum step 10M, user tensor", scale: 1e3, unit: "ms") {
            stepSeconds(try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9), count: n)
        }
        row("momentum_step_10M", "momentum step 10M, tape gradient", scale: 1e3, unit: "ms") {
            stepSeconds(try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9), count: n, gradient: flagged)
        }
        row("momentum_step_10M", "momentum step 10M, unchecked", scale: 1e3, unit: "ms") {
            stepSeconds(try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9).withNonFiniteGradientPolicy(.propagate), count: n)
        }
        for (count, label) in [(1_000_000, "1M"), (n, "10M")] {
            let noisy = try! SGD(layout: .flat(count: count), learningRate: 1e-3, momentum: 0.9)
                .withGradientNoise(GradientNoise(eta: 0.01, seed: 1))
            row("noisy_momentum_step_\(label)", "noisy momentum step \(label)", scale: 1e3, unit: "ms") { stepSeconds(noisy, count: count) }
        }
        let noisy = try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9).withGradientNoise(GradientNoise(eta: 0.01, seed: 1))
        row("noisy_momentum_step_10M", "noisy momentum step 10M, tape gradient", scale: 1e3, unit: "ms") {
            stepSeconds(noisy, count: n, gradient: flagged)
        }
        row("adam_step_10M", "Adam step 10M, user tensor", scale: 1e3, unit: "ms") { stepSeconds(try! Adam(layout: layout), count: n) }
        row("adam_step_10M", "Adam step 10M, tape gradient", scale: 1e3, unit: "ms") {
            stepSeconds(try! Adam(layout: layout), count: n, gradient: flagged)
        }
        row("adam_step_10M", "Adam step 10M, unchecked", scale: 1e3, unit: "ms") {
            stepSeconds(try! Adam(layout: layout).withNonFiniteGradientPolicy(.propagate), count: n)
        }
        let noisyAdam = try! Adam(layout: layout).withGradientNoise(GradientNoise(eta: 0.01, seed: 1))
        row("noisy_adam_step_10M", "noisy Adam step 10M", scale: 1e3, unit: "ms") { stepSeconds(noisyAdam, count: n) }
        row("noisy_adam_step_10M", "noisy Adam step 10M, tape gradient", scale: 1e3, unit: "ms") {
            stepSeconds(noisyAdam, count: n, gradient: flagged)
        }
        // The adaptive optimizers at both sides' defaults (PyTorch's faster of foreach and fused).
        row("adamw_step_10M", "AdamW step 10M", scale: 1e3, unit: "ms") { stepSeconds(try! AdamW(layout: layout), count: n) }
        row("adagrad_step_10M", "Adagrad step 10M", scale: 1e3, unit: "ms") { stepSeconds(try! Adagrad(layout: layout), count: n) }
        row("rmsprop_step_10M", "RMSprop step 10M", scale: 1e3, unit: "ms") { stepSeconds(try! RMSprop(layout: layout), count: n) }
        row("adadelta_step_10M", "Adadelta step 10M", scale: 1e3, unit: "ms") { stepSeconds(try! Adadelta(layout: layout), count: n) }
    }
}
