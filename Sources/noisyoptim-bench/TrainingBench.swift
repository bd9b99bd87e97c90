// TrainingBench: what `TrainingLoop` adds to the steps it takes — bookkeeping, the loss check,
// the history, a callback and a console reporter — on the demo's MLP 64-128-10 with batch 32.

import Foundation
import NoisyOptim

/// Steps per second of bare `optimizer.step` calls on epochs of batches of 32, and of the same
/// steps (the same W, from the same `EpochSampling`) through `TrainingLoop.run` with a console
/// reporter writing plain lines to a sink, timed in alternating rounds. The ratio is bare time /
/// loop time: 1 means the loop is free, 0.98 is the 2% budget. No evaluation runs (it is work
/// asked for, not overhead).
func benchTraining(_ table: inout BenchTable) {
    let group = "training"
    let n = 1_438, steps = 200
    var generator = Philox4x32(seed: 8)
    var features = [Float](repeating: 0, count: n * 64)
    features.withUnsafeMutableBufferPointer { generator.fillNormal($0, mean: 0, standardDeviation: 1) }
    do {
        let data = try Dataset(features: Tensor(shape: [n, 64], scalars: features),
                               targets: Tensor((0..<n).map { Float($0 % 10) }), classCount: 10)
        let model = MLP(sizes: [64, 128, 10], activation: .tanh)
        let objective = model.objective(on: data)
        let scheme = try EpochSampling(exampleCount: n, batchSize: 32, seed: 3)
        let start = model.initialParameters(seed: 1)

        var optimizer = try SGD(layout: model.layout, learningRate: 0.01)
        var theta = start
        var t = 0
        func bareSteps() {
            for _ in 0..<steps {
                let weights = scheme.weights(atStep: t)
                _ = try? optimizer.step(&theta) { point, _ in try objective(point, weights) }
                t += 1
            }
            blackHole(theta)
        }

        var loop = TrainingLoop(optimizer: try SGD(layout: model.layout, learningRate: 0.01), parameters: start,
                                objective: objective, batches: scheme)
        var lines = 0
        let reporter = ConsoleReporter(lineInterval: 100, isTerminal: false) { _ in lines += 1 }
        loop.callbacks.append(reporter.callback)
        func loopSteps() {
            _ = try? loop.run(steps: loop.step + steps)
            blackHole(loop.parameters)
        }
        // Alternating rounds, the best of each side: a busy machine slows whichever side it
        // hits, and the best is the least disturbed.
        var bare = Double.infinity, looped = Double.infinity
        for _ in 0..<5 {
            bare = min(bare, secondsPerCall(repeats: 3, bareSteps))
            looped = min(looped, secondsPerCall(repeats: 3, loopSteps))
        }
        blackHole(lines)
        table.add(group, "MLP 64-128-10, b = 32: bare steps", value: Double(steps) / bare, unit: "steps/s")
        table.add(group, "the same steps through TrainingLoop.run", value: Double(steps) / looped, unit: "steps/s",
                  ratio: bare / looped, versus: "bare steps (1 = free)")
    } catch {
        print("training bench: \(error)")
    }
}
