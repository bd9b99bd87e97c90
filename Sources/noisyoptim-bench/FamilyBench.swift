// FamilyBench: the rest of the noise family on 10M parameters — Jin's perturbed GD, SGD with
// SWA's averaging, SGD-HD and Adam-HD — each against the plain SGD step timed in the same run.
//
// What the ratios should say: Jin's PGD off a saddle is plain GD plus a norm the finiteness check
// already computes; a kick regenerates the P normals twice (‖z‖, then ξ). SWA collecting every
// step adds a read and write of θ_SWA to the pass (and leaves the fused kernel); HD adds a pass
// over g and dₜ₋₁ for the dot product and a write of dₜ.

import NoisyOptim

func benchFamily(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    let n = 10_000_000
    let layout = ParameterLayout.flat(count: n)
    let gradient = Tensor(shape: [n], repeating: 1e-3)

    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        var theta = Tensor(shape: [n], repeating: 1)
        func time<O: Optimizer>(_ optimizer: inout O) -> Double {
            secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! optimizer.step(&theta, gradient: gradient) }
        }
        func row(_ name: String, _ seconds: Double, versus reference: Double, _ label: String = "SGD") {
            table.add("family", "\(name) 10M (\(threads)t)", value: Double(n) / seconds / 1e6, unit: "M par/s",
                      ratio: reference / seconds, versus: label)
        }
        var sgd = try! SGD(layout: layout, learningRate: 1e-3)
        let plain = time(&sgd)
        table.add("family", "SGD step 10M (\(threads)t)", value: Double(n) / plain / 1e6, unit: "M par/s")

        // ‖g‖ = 1e-3·√10⁷ ≈ 3.2 > g_thres: no kick, the norm test only.
        var pgd = try! JinPGD(layout: layout, learningRate: 1e-3,
                              saddlePerturbation: SaddlePerturbation(radius: 1e-3, gradientThreshold: 1e-3, waitSteps: 10, seed: 1))
        row("Jin PGD step, no kick", time(&pgd), versus: plain)
        // g_thres above ‖g‖ and t_thres = 0: every step kicks.
        var kicking = try! JinPGD(layout: layout, learningRate: 1e-3,
                                  saddlePerturbation: SaddlePerturbation(radius: 1e-3, gradientThreshold: 1e3, waitSteps: 0, seed: 1))
        row("Jin PGD step, kicking every step", time(&kicking), versus: plain)

        var everyStep = try! SWA(layout: layout, learningRate: 1e-3, start: 0, cycleLength: 1, swaLearningRate: 1e-3)
        row("SGD + SWA, collecting every step", time(&everyStep), versus: plain)
        var everyTen = try! SWA(layout: layout, learningRate: 1e-3, start: 0, cycleLength: 10, swaLearningRate: 1e-3)
        row("SGD + SWA, collecting every 10th step", time(&everyTen), versus: plain)

        // β tiny so α stays put over the timed steps.
        var sgdHD = try! SGDHD(layout: layout, learningRate: 1e-3, hypergradientLearningRate: 1e-12)
        row("SGD-HD step", time(&sgdHD), versus: plain)
        var adam = try! Adam(layout: layout, learningRate: 1e-3)
        let adamSeconds = time(&adam)
        row("Adam step", adamSeconds, versus: plain)
        var adamHD = try! AdamHD(layout: layout, learningRate: 1e-3, hypergradientLearningRate: 1e-12)
        let adamHDSeconds = time(&adamHD)
        row("Adam-HD step", adamHDSeconds, versus: plain)
        row("Adam-HD step vs Adam", adamHDSeconds, versus: adamSeconds, "Adam")
        blackHole(theta)
    }
}
