// noisyoptim-demo: trains a small network on the bundled handwritten digits with every optimizer
// of the library from the same starting point and the same budget, compares them on held-out
// digits, shows that a checkpoint resumes a noisy run exactly, and fits the diabetes data by
// least squares against the closed-form answer. No arguments; finishes in seconds in release.

import Foundation
import NoisyOptim

func resource(_ name: String) -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Resources")
        ?? Bundle.module.url(forResource: name, withExtension: "csv") else {
        fatalError("the demo's bundled data file \(name).csv is missing from its resources")
    }
    return url
}

func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }

// MARK: - Data

let digits = try Dataset(table: NumericTable(contentsOf: resource("digits")), classCount: 10)
var splitter = Philox4x32(seed: 1998)
let (rawTraining, rawTest) = digits.split(trainingFraction: 0.8, using: &splitter)
let standardizer = Standardizer(fitting: rawTraining.features)
let training = try Dataset(features: standardizer.apply(rawTraining.features), targets: rawTraining.targets, classCount: 10)
let test = try Dataset(features: standardizer.apply(rawTest.features), targets: rawTest.targets, classCount: 10)

let model = MLP(sizes: [64, 128, 10], activation: .tanh)
let start = model.initialParameters(seed: 7)
let objective = model.objective(on: training)
let n = training.count
let batchSize = 32
let epochs = 20
let steps = epochs * n / batchSize

print(kernelBuildAdvice(product: "noisyoptim-demo")) // which kernels run, and the command for faster ones
print("""
NoisyOptim demo — UCI handwritten digits (8×8), \(training.count) training / \(test.count) test examples
Model: MLP 64-128-10 (tanh), \(model.layout.count) parameters in one flat vector; softmax cross-entropy.
Every optimizer starts from the same parameters and takes \(steps) steps (\(epochs) epochs of batch \(batchSize) equivalents).

""")

func accuracy(_ parameters: Tensor, on data: Dataset) -> Double {
    let predicted = model.outputs(at: parameters, inputs: data.features).argmax(alongAxis: 1)
    return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(data.count)
}

func fullLoss(_ parameters: Tensor) throws -> Float {
    try objective(parameters, .full(exampleCount: n)).loss
}

// MARK: - The contenders

struct Contender {
    let name: String
    let noise: String
    let make: () throws -> any Optimizer
}

let contenders: [Contender] = [
    Contender(name: "GD (full batch)", noise: "none") {
        try SGD(layout: model.layout, learningRate: 0.2).withSampling(FullBatch(exampleCount: n), seed: 0)
    },
    Contender(name: "SGD", noise: "sampling: mini-batch b = 32") {
        try SGD(layout: model.layout, learningRate: 0.1)
            .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 1)
    },
    Contender(name: "SGD + momentum 0.9", noise: "sampling: mini-batch b = 32") {
        try SGD(layout: model.layout, learningRate: 0.01, momentum: 0.9)
            .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 1)
    },
    Contender(name: "SGD + Nesterov 0.9", noise: "sampling: mini-batch b = 32") {
        try SGD(layout: model.layout, learningRate: 0.01, momentum: 0.9, nesterov: true)
            .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 1)
    },
    Contender(name: "Noisy SGD (Neelakantan 2015)", noise: "gradient: η = 0.01, γ = 0.55") {
        try SGD(layout: model.layout, learningRate: 0.1)
            .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 1)
            .withGradientNoise(GradientNoise(eta: 0.01, gamma: 0.55, seed: 2))
    },
    Contender(name: "MSGD Gaussian (Wu 2020)", noise: "sampling: Cov matched to b = 32") {
        try MultiplicativeSGD(layout: model.layout, learningRate: 0.1,
                              sampling: GaussianSampling(exampleCount: n, imitatingBatchSize: batchSize), samplingSeed: 1)
    },
    Contender(name: "MSGD Bernoulli (Wu 2020)", noise: "sampling: p = b/n") {
        try MultiplicativeSGD(layout: model.layout, learningRate: 0.1,
                              sampling: BernoulliSampling(exampleCount: n, imitatingBatchSize: batchSize), samplingSeed: 1)
    },
    Contender(name: "Perturbed GD layer-wise (Orvieto 2023)", noise: "parameters: σ = 0.05, one layer a step") {
        try PerturbedGD(layout: model.layout, learningRate: 0.2,
                        perturbation: Perturbation(sigma: 0.05, mode: .layerWise, seed: 3))
            .withSampling(FullBatch(exampleCount: n), seed: 0)
    },
    Contender(name: "Anti-PGD (Orvieto 2022)", noise: "parameters: σ = 0.05, anti-correlated") {
        try PerturbedGD(layout: model.layout, learningRate: 0.2,
                        perturbation: Perturbation(sigma: 0.05, mode: .everyParameter, antiCorrelated: true, seed: 3))
            .withSampling(FullBatch(exampleCount: n), seed: 0)
    },
    Contender(name: "Adam", noise: "sampling: mini-batch b = 32") {
        try Adam(layout: model.layout, learningRate: 2e-3)
            .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 1)
    },
]

print(column("optimizer", 40), column("noise", 42), "train loss  test acc   ms/step")
let clock = ContinuousClock()
for contender in contenders {
    var optimizer = try contender.make()
    var parameters = start
    let elapsed = try clock.measure {
        for _ in 0..<steps { try optimizer.step(&parameters, objective: objective) }
    }
    let (s, atto) = elapsed.components
    let milliseconds = (Double(s) + Double(atto) * 1e-18) * 1000 / Double(steps)
    print(column(contender.name, 40), column(contender.noise, 42),
          String(format: "%10.4f  %7.2f%%  %8.3f", try fullLoss(parameters), 100 * accuracy(parameters, on: test), milliseconds))
}

// MARK: - Checkpoints

// A noisy run interrupted half-way, saved as JSON, restored into a fresh optimizer and continued
// must end exactly where the uninterrupted run ends: the noise streams are part of the state.
func noisySGD() throws -> SGD {
    try SGD(layout: model.layout, learningRate: 0.1, momentum: 0.5)
        .withSampling(SGDSampling(exampleCount: n, batchSize: batchSize), seed: 12)
        .withGradientNoise(GradientNoise(eta: 0.3, seed: 11))
}
var uninterrupted = try noisySGD()
var straight = start
for _ in 0..<200 { try uninterrupted.step(&straight, objective: objective) }

var first = try noisySGD()
var resumed = start
for _ in 0..<100 { try first.step(&resumed, objective: objective) }
let checkpoint = try JSONEncoder().encode(Checkpoint(parameters: resumed, state: first.state))
let restored = try JSONDecoder().decode(Checkpoint<SGD.State>.self, from: checkpoint)
var second = try noisySGD()
try second.restore(restored.state)
resumed = restored.parameters
for _ in 0..<100 { try second.step(&resumed, objective: objective) }
print("""

Checkpoint: noisy momentum SGD (η = 0.3) saved after 100 of 200 steps (\(checkpoint.count) bytes of JSON),
restored and continued: \(resumed == straight ? "identical to the uninterrupted run, bit for bit" : "DIFFERS from the uninterrupted run")
""")

struct Checkpoint<State: Codable>: Codable {
    var parameters: Tensor
    var state: State
}

// MARK: - Diabetes: least squares against the closed form

let diabetesX = try NumericTable(contentsOf: resource("diabetes_data_raw"), separator: nil).values
let diabetesY = try NumericTable(contentsOf: resource("diabetes_target")).values.flattened()
let features = Standardizer(fitting: diabetesX).apply(diabetesX)
let targetMean = diabetesY.mean()
let targetScale = (square(diabetesY - targetMean).mean()).squareRoot()
let targets = (diabetesY - targetMean) / targetScale
let linear = MLP(sizes: [10, 1])
let leastSquares = linear.objective(inputs: features, targets: targets)

// The minimizer from the normal equations, in Double: [X 1]ᵀ[X 1]·w = [X 1]ᵀy.
func solveNormalEquations(_ x: Tensor, _ y: Tensor) -> [Double] {
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
    for p in 0..<d { // Gauss–Jordan with partial pivoting
        let pivot = (p..<d).max { abs(a[$0][p]) < abs(a[$1][p]) }!
        a.swapAt(p, pivot)
        for i in 0..<d where i != p {
            let f = a[i][p] / a[p][p]
            for j in p...d { a[i][j] -= f * a[p][j] }
        }
    }
    return (0..<d).map { a[$0][d] / a[$0][$0] }
}
let exact = solveNormalEquations(features, targets)
let exactTensor = Tensor(exact.map(Float.init)) // weights w₀…w₉ then the bias, as the layout lays them out
let optimalLoss = try leastSquares(exactTensor, .full(exampleCount: 442)).loss

print("\nDiabetes (442 × 10, standardized): least squares by full-batch descent vs the normal equations")
print("minimum mean squared error \(String(format: "%.5f", optimalLoss)) (closed form)")
let regressionSteps = 300
let everyPatient = FullBatch(exampleCount: 442)
for (name, make) in [
    ("GD, lr = 0.1", { try SGD(layout: linear.layout, learningRate: 0.1).withSampling(everyPatient, seed: 0) as any Optimizer }),
    ("heavy ball, lr = 0.1, μ = 0.8", {
        try SGD(layout: linear.layout, learningRate: 0.1, momentum: 0.8).withSampling(everyPatient, seed: 0) as any Optimizer
    }),
] as [(String, () throws -> any Optimizer)] {
    var optimizer = try make()
    var w = Tensor.zeros([linear.layout.count])
    for _ in 0..<regressionSteps { try optimizer.step(&w, objective: leastSquares) }
    let distance = (w - exactTensor).norm() / exactTensor.norm()
    print(column(name, 32), String(format: "after %d steps: loss %.5f, ‖w − w*‖/‖w*‖ = %.2e", regressionSteps,
                                   try leastSquares(w, .full(exampleCount: 442)).loss, distance))
}
