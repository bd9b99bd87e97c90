// noisyoptim-trapcheck: runs one misuse of the library named on the command line, so a test can
// check that a release build stops with the message (Swift's `precondition` prints none under -O).
//
//     noisyoptim-trapcheck matmul    # stops: "matmul: [2, 3] × [2, 3] …"

import Foundation
import NoisyOptim

let cases: [String: () -> Void] = [
    "scalars": { _ = Tensor(shape: [2, 2], scalars: [1, 2, 3]) },
    "ragged": { _ = Tensor([[1, 2], [3]]) },
    "transposed": { _ = Tensor.zeros([2, 3, 4]).transposed() },
    "rows": { _ = Tensor.zeros([3, 2]).rows(1..<5) },
    "gatheringRows": { _ = Tensor.zeros([3, 2]).gatheringRows([0, 7]) },
    "axis": { _ = Tensor.zeros([3, 2]).sum(alongAxis: 2) },
    "maxOfEmpty": { _ = Tensor.zeros([0, 3]).max() },
    "scalar": { _ = Tensor.zeros([2]).scalar },
    "randomUniform": { _ = Tensor.randomUniform([2], from: 1, to: 0, seed: 1) },
    "nextInt": { var g = Philox4x32(seed: 1); _ = g.nextInt(below: 0) },
    "gradientOfVector": { _ = gradient(at: Tensor.zeros([3])) { $0 } },
    "mlpSizes": { _ = MLP(sizes: [4, 0, 2]) },
    "mlpInputs": {
        let model = MLP(sizes: [4, 2])
        _ = model.outputs(at: model.initialParameters(seed: 1), inputs: Tensor.zeros([3, 5]))
    },
    "split": { var g = Philox4x32(seed: 1); _ = try! Dataset(features: .zeros([2, 1]), targets: .zeros([2])).split(trainingFraction: 2, using: &g) },
    "standardizer": { _ = Standardizer(fitting: .zeros([3, 2])).apply(.zeros([3, 4])) },
    "miniBatches": { var g = Philox4x32(seed: 1); _ = MiniBatches(exampleCount: 10, batchSize: 0, using: &g) },
    "covariance": { _ = try! SGDSampling(exampleCount: 4, batchSize: 2).covariance(0, 4) },
    "threads": { Parallelism.maximumThreadCount = 0 },
    "slice": { _ = Tensor.zeros([3]).slice(ParameterLayout.flat(count: 5).segments[0]) },
    "perturbedPoint": {
        let pgd = try! PerturbedGD(layout: .flat(count: 4), learningRate: 0.1,
                                   perturbation: Perturbation(sigma: 0.1, mode: .allSegments, seed: 1))
        _ = pgd.perturbedPoint(Tensor.zeros([3]))
    },
    "try": { _ = try! SGD(layout: .flat(count: 4), learningRate: -1) }, // how the demo and bench fail

    "matmul": { _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([2, 3])) },
    "add": { _ = Tensor.zeros([2, 3]) + Tensor.zeros([4]) },
    "index": { _ = Tensor.zeros([2, 3])[2, 0] },
    "step": {
        var sgd = try! SGD(layout: .flat(count: 4), learningRate: 0.1)
        var theta = Tensor.zeros([4])
        _ = try? sgd.step(&theta, gradient: Tensor.zeros([5]))
    },
    "layout": {
        var layout = ParameterLayout()
        layout.append("w", shape: [2])
        layout.append("w", shape: [3])
    },
    "hugeShape": { _ = Tensor.zeros([1 << 32, 1 << 32]) }, // Int overflow: no message at all before
    "reshape": { _ = Tensor.zeros([4]).reshaped(to: [-1, 1 << 32, 1 << 32]) },
    "sampleWeights": { _ = SampleWeights(exampleCount: 3, indices: [0, 3], weights: [0.5, 0.5]) },
    "schedule": { _ = Schedule.step(initial: 0.1, factor: 0.5, every: 0) },
    "fullBatch": { _ = FullBatch(exampleCount: 0) },
]

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let run = cases[name], arguments.count == 1 else {
    print("usage: noisyoptim-trapcheck <case>, one of: \(cases.keys.sorted().joined(separator: ", "))")
    exit(2)
}
run()
print("\(name) did not stop")
exit(0)
