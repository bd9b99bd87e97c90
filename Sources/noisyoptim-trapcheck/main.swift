// noisyoptim-trapcheck: runs one misuse of the library named on the command line, so a test can
// check that a release build stops with the message (Swift's `precondition` prints none under -O).
//
//     noisyoptim-trapcheck matmul    # stops: "matmul: [2, 3] × [2, 3] …"

import Foundation
import NoisyOptim

let cases: [String: () -> Void] = [
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
