// PeerBench: NoisyOptim against PyTorch on the CPU, on the same workloads, in the same run.
//
// `Benchmarks/pytorch_peer.py` times PyTorch (one process per thread count, since PyTorch fixes
// its thread pool at start-up) and prints seconds per call as JSON; this group then times the
// same workloads here, straight after, and prints PyTorch's time over ours: above 1 means
// NoisyOptim is faster. PyTorch runs its own kernels for this CPU (AVX-512 and MKL where the CPU
// has them); NoisyOptim runs the build it was given (the default target, or the FMA trait).
// Without python3 and torch the group says so and measures nothing.

import Foundation
import NoisyOptim

/// What `pytorch_peer.py` printed.
private struct PeerReport: Decodable {
    let torch: String
    let threads: Int
    let seconds: [String: Double]
}

/// Runs the peer script with `threads` threads; nil, with the reason printed, if it cannot run.
private func runPeer(threads: Int) -> PeerReport? {
    // The script sits in the source tree: <root>/Sources/noisyoptim-bench/PeerBench.swift → <root>/Benchmarks.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let script = root.appendingPathComponent("Benchmarks/pytorch_peer.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path, "--threads", String(threads)]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    do {
        try process.run()
    } catch {
        print("peer: could not start python3 (\(error)); skipping the PyTorch comparison")
        return nil
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let report = try? JSONDecoder().decode(PeerReport.self, from: data) else {
        let reason = String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
        print("peer: \(script.path) failed (\(reason)); install PyTorch for the comparison: pip install torch")
        return nil
    }
    return report
}

func benchPeer(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    for threads in [1, 2] {
        guard let peer = runPeer(threads: threads) else { return }
        Parallelism.maximumThreadCount = threads
        let versus = "PyTorch \(peer.torch.split(separator: "+")[0]) (its time / ours)"
        func row(_ key: String, _ name: String, scale: Double, unit: String, _ ours: Double) {
            guard let theirs = peer.seconds[key] else { return }
            table.add("peer", "\(name) (\(threads)t)", value: ours * scale, unit: unit, ratio: theirs / ours, versus: versus)
        }

        var generator = Philox4x32(seed: 3)
        let a = Tensor.randomNormal([512, 512], using: &generator), b = Tensor.randomNormal([512, 512], using: &generator)
        row("gemm512", "matmul 512×512·512×512", scale: 1e3, unit: "ms", secondsPerCall { blackHole(matmul(a, b)) })

        let large = Problem(sizes: [784, 256, 256, 10], activation: .relu, batch: 128, examples: 2048)
        let largeObjective = large.model.objective(inputs: large.inputs, labels: large.labels)
        row("mlp784_forward_backward", "MLP784 forward + backward, batch 128", scale: 1e3, unit: "ms",
            secondsPerCall { blackHole(try! largeObjective(large.parameters, large.batches[0])) })

        var small = Problem(sizes: [64, 128, 10], activation: .tanh, batch: 32, examples: 1024)
        let smallObjective = small.model.objective(inputs: small.inputs, labels: small.labels)
        var smallSGD = try! SGD(layout: small.model.layout, learningRate: 0.01)
        row("mlp64_train_step", "MLP64 fwd + bwd + SGD step, batch 32", scale: 1e6, unit: "µs",
            secondsPerCall {
                let (_, gradient) = try! smallObjective(small.parameters, small.batches[0])
                try! smallSGD.step(&small.parameters, gradient: gradient)
            })

        // Optimizer steps with the library's defaults (the gradient's finiteness is checked
        // before anything is written; PyTorch does not check), and momentum without the check.
        func stepSeconds<T: GradientTransform>(_ optimizer: ChainOptimizer<T>, count: Int) -> Double {
            var optimizer = optimizer
            var theta = Tensor(shape: [count], repeating: 1)
            let gradient = Tensor(shape: [count], repeating: 1e-3)
            return secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! optimizer.step(&theta, gradient: gradient) }
        }
        let n = 10_000_000
        let layout = ParameterLayout.flat(count: n)
        row("momentum_step_10M", "momentum step 10M", scale: 1e3, unit: "ms",
            stepSeconds(try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9), count: n))
        row("momentum_step_10M", "momentum step 10M, unchecked", scale: 1e3, unit: "ms",
            stepSeconds(try! SGD(layout: layout, learningRate: 1e-3, momentum: 0.9, nonFiniteGradientPolicy: .propagate), count: n))
        for (count, label) in [(1_000_000, "1M"), (n, "10M")] {
            let noisy = try! SGD(layout: .flat(count: count), learningRate: 1e-3, momentum: 0.9,
                                 gradientNoise: GradientNoise(eta: 0.01, seed: 1))
            row("noisy_momentum_step_\(label)", "noisy momentum step \(label)", scale: 1e3, unit: "ms", stepSeconds(noisy, count: count))
        }
        row("adam_step_10M", "Adam step 10M", scale: 1e3, unit: "ms", stepSeconds(try! Adam(layout: layout), count: n))
    }
}
