// DemoExtras: the two sections the argument-free demo adds after its comparison table — a noisy
// run checkpointed to a file and resumed bit for bit, and least squares on the diabetes data.

import Foundation
import NoisyOptim

enum DemoExtras {
    /// Noisy momentum SGD (η = 0.3) on epochs of batches: 200 steps straight against 100 steps,
    /// a checkpoint file, a fresh loop resumed from it and 100 more.
    static func checkpointSection(data: PreparedData, output: (String) -> Void) throws {
        let model = MLP(sizes: [64, 128, 10], activation: .tanh)
        let start = model.initialParameters(seed: 7)
        let n = data.training.count
        func loop() throws -> TrainingLoop<SGD> {
            var loop = TrainingLoop(optimizer: try SGD(layout: model.layout, learningRate: 0.1, momentum: 0.5).withGradientNoise(GradientNoise(eta: 0.3, seed: 11)),
                                    parameters: start, objective: model.objective(on: data.training),
                                    batches: try EpochSampling(exampleCount: n, batchSize: 32, seed: 12))
            loop.settings = "demo checkpoint run"
            return loop
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-demo-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        var straight = try loop()
        try straight.run(steps: 200)
        var first = try loop()
        first.checkpointURL = file
        try first.run(steps: 100)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        var second = try loop()
        try second.resume(from: file)
        try second.run(steps: 200)
        let same = second.parameters == straight.parameters && second.history == straight.history
        output("""

        Checkpoint: noisy momentum SGD (η = 0.3) on epochs of batches, saved to a file after 100 of 200 steps
        (\(bytes) bytes of JSON, written to a temporary file and renamed), resumed by a fresh loop and continued:
        \(same ? "identical to the uninterrupted run, bit for bit" : "DIFFERS from the uninterrupted run")
        """)
    }

    /// Least squares on the diabetes data by full-batch descent, against the normal equations.
    static func diabetesSection(resources: URL, output: (String) -> Void) throws {
        let x = try DataLoading.readTable(resources.appendingPathComponent("diabetes_data_raw.csv"),
                                          path: "diabetes_data_raw.csv", separator: nil, skipLines: 0).values
        let y = try DataLoading.readTable(resources.appendingPathComponent("diabetes_target.csv"),
                                          path: "diabetes_target.csv", separator: ",", skipLines: 0).values.flattened()
        let features = Standardizer(fitting: x).apply(x)
        let mean = y.mean()
        let targets = (y - mean) / square(y - mean).mean().squareRoot()
        let linear = MLP(sizes: [10, 1])
        let leastSquares = linear.objective(inputs: features, targets: targets)
        let exact = Tensor(solveNormalEquations(features, targets).map(Float.init)) // w₀…w₉, then the bias
        let optimum = try leastSquares(exact, .full(exampleCount: 442)).loss
        output("\nDiabetes (442 × 10, standardized): least squares by full-batch descent vs the normal equations")
        output("minimum mean squared error \(String(format: "%.5f", optimum)) (closed form)")
        let everyPatient = FullBatch(exampleCount: 442)
        let runs: [(String, () throws -> any Optimizer)] = [
            ("GD, lr = 0.1", { try SGD(layout: linear.layout, learningRate: 0.1).withSampling(everyPatient, seed: 0) }),
            ("heavy ball, lr = 0.1, μ = 0.8", { try SGD(layout: linear.layout, learningRate: 0.1, momentum: 0.8).withSampling(everyPatient, seed: 0) }),
        ]
        for (name, make) in runs {
            var optimizer = try make()
            var w = Tensor.zeros([linear.layout.count])
            for _ in 0..<300 { try optimizer.step(&w, objective: leastSquares) }
            let distance = (w - exact).norm() / exact.norm()
            output(column(name, 32) + String(format: "after 300 steps: loss %.5f, ‖w − w*‖/‖w*‖ = %.2e",
                                             try leastSquares(w, .full(exampleCount: 442)).loss, distance))
        }
    }

    /// The minimizer of ‖[X 1]w − y‖² from the normal equations, in Double, by Gauss–Jordan with
    /// partial pivoting.
    static func solveNormalEquations(_ x: Tensor, _ y: Tensor) -> [Double] {
        let rows = x.shape[0], d = x.shape[1] + 1
        let xs = x.scalars.map(Double.init), ys = y.scalars.map(Double.init)
        var a = [[Double]](repeating: [Double](repeating: 0, count: d + 1), count: d)
        for r in 0..<rows {
            let row = Array(xs[(r * (d - 1))..<((r + 1) * (d - 1))]) + [1]
            for i in 0..<d {
                for j in 0..<d { a[i][j] += row[i] * row[j] }
                a[i][d] += row[i] * ys[r]
            }
        }
        for p in 0..<d {
            let pivot = (p..<d).max { abs(a[$0][p]) < abs(a[$1][p]) }!
            a.swapAt(p, pivot)
            for i in 0..<d where i != p {
                let f = a[i][p] / a[p][p]
                for j in p...d { a[i][j] -= f * a[p][j] }
            }
        }
        return (0..<d).map { a[$0][d] / a[$0][$0] }
    }
}
