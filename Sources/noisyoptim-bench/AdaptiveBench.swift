// AdaptiveBench: the adaptive optimizers' steps on a flat 10M-parameter vector, each with its
// ratio to the plain SGD step timed in the same round (library defaults on a user tensor, which
// the step reads once more to check finiteness before anything is written; a gradient from the
// tape was checked by the tape instead: see the optim group's tape-gradient rows).

import NoisyOptim

/// Seconds per step of `optimizer` on `count` parameters with a constant gradient: by default a
/// user tensor of 10⁻³ (which the step checks itself), or `gradient` (`tapeGradient(count:)` gives
/// the same scalars as the tape produces them, checked by the tape).
func stepSeconds<T: GradientTransform, U: GradientTransform>(_ optimizer: ChainOptimizer<T, U>, count: Int,
                                                             gradient: Tensor? = nil) -> Double {
    var optimizer = optimizer
    var theta = Tensor(shape: [count], repeating: 1)
    let gradient = gradient ?? Tensor(shape: [count], repeating: 1e-3)
    let seconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! optimizer.step(&theta, gradient: gradient) }
    blackHole(theta)
    return seconds
}

/// The adaptive optimizers, with the bytes each step moves per parameter (θ, g and every state
/// buffer read; θ and the state written) for the bandwidth column.
func adaptiveOptimizers(layout: ParameterLayout) -> [(name: String, bytes: Int, seconds: (Int) -> Double)] {
    let n = layout.count
    return [
        ("Adagrad", 20, { _ in stepSeconds(try! Adagrad(layout: layout), count: n) }),
        ("RMSprop", 20, { _ in stepSeconds(try! RMSprop(layout: layout), count: n) }),
        ("RMSprop, momentum 0.9, centered", 36, { _ in
            stepSeconds(try! RMSprop(layout: layout, momentum: 0.9, centered: true), count: n) }),
        ("Adadelta", 28, { _ in stepSeconds(try! Adadelta(layout: layout), count: n) }),
        ("Adam", 28, { _ in stepSeconds(try! Adam(layout: layout), count: n) }),
        ("AdamW", 28, { _ in stepSeconds(try! AdamW(layout: layout), count: n) }),
        // What the finiteness check costs: the extra read of g (4 of 24 or 32 bytes) and its pass.
        ("Adagrad, unchecked", 20, { _ in stepSeconds(try! Adagrad(layout: layout).withNonFiniteGradientPolicy(.propagate), count: n) }),
        ("AdamW, unchecked", 28, { _ in stepSeconds(try! AdamW(layout: layout).withNonFiniteGradientPolicy(.propagate), count: n) }),
        ("Adamax", 28, { _ in stepSeconds(try! Adamax(layout: layout), count: n) }),
        ("AMSGrad", 36, { _ in stepSeconds(try! AMSGrad(layout: layout), count: n) }),
    ]
}

func benchAdaptive(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    let n = 10_000_000
    let layout = ParameterLayout.flat(count: n)
    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        // Plain SGD moves 12 bytes per parameter (θ and g read, θ written).
        let plain = stepSeconds(try! SGD(layout: layout, learningRate: 1e-3), count: n)
        table.add("adaptive", "SGD step 10M (\(threads)t)", value: 12 * Double(n) / plain / 1e9, unit: "GB/s")
        for optimizer in adaptiveOptimizers(layout: layout) {
            let seconds = optimizer.seconds(n)
            table.add("adaptive", "\(optimizer.name) step 10M (\(threads)t)",
                      value: Double(optimizer.bytes) * Double(n) / seconds / 1e9, unit: "GB/s",
                      ratio: plain / seconds, versus: "SGD step (its time / this)")
        }
    }
}
