// SamplingBench: how fast each multiplicative SGD class draws its sampling vector W for n = 60,000
// examples (MNIST-sized), imitating batch size b = 128.

import Foundation
import NoisyOptim

/// Sampling vectors per second for every class, against two references timed in the same run:
/// allocating and writing 60,000 floats (the least any class that returns a fresh dense W must
/// do), and a scalar Box–Muller fill of 60,000 normals with Foundation's log, cos and sin (what a
/// straightforward Gaussian class would cost). Ratios are reference time / class time, so above 1
/// means faster than the reference.
func benchSampling(_ table: inout BenchTable) {
    let n = 60_000, b = 128
    let group = "sampling"

    let denseWrite = secondsPerCall { blackHole([Float](repeating: 1 / Float(n), count: n)) }
    table.add(group, "reference: allocate + write \(n) floats", value: 1 / denseWrite, unit: "vec/s")

    var scalar = Philox4x32(seed: 1)
    var normals = [Float](repeating: 0, count: n)
    let boxMuller = secondsPerCall {
        var i = 0
        while i + 1 < n {
            let radius = (-2 * Foundation.log(scalar.nextUniformFloat())).squareRoot()
            let angle = 2 * Float.pi * scalar.nextUniformFloat()
            normals[i] = radius * Foundation.cos(angle)
            normals[i + 1] = radius * Foundation.sin(angle)
            i += 2
        }
        blackHole(normals)
    }
    table.add(group, "reference: scalar Box–Muller \(n) normals", value: 1 / boxMuller, unit: "vec/s")

    func row(_ name: String, _ scheme: some SamplingScheme, reference: Double, _ label: String) {
        var generator = Philox4x32(seed: 2)
        let seconds = secondsPerCall { blackHole(scheme.sample(using: &generator)) }
        table.add(group, name, value: 1 / seconds, unit: "vec/s", ratio: reference / seconds, versus: label)
    }
    let dense = "vs writing a dense W", gaussian = "vs scalar Box–Muller"
    do {
        row("SGD b=128, without replacement", try SGDSampling(exampleCount: n, batchSize: b), reference: denseWrite, dense)
        row("SGD b=128, with replacement", try SGDSampling(exampleCount: n, batchSize: b, withReplacement: true), reference: denseWrite, dense)
        row("Gaussian full (MSGD-Cov), imitating 128", try GaussianSampling(exampleCount: n, imitatingBatchSize: b), reference: boxMuller, gaussian)
        row("Gaussian diagonal (MSGD-Fisher), imit. 128", try GaussianSampling(exampleCount: n, imitatingBatchSize: b, covariance: .diagonal), reference: boxMuller, gaussian)
        row("Bernoulli p=128/n", try BernoulliSampling(exampleCount: n, imitatingBatchSize: b), reference: denseWrite, dense)
        row("sparse Gaussian full B=128, imitating 128", try SparseGaussianSampling(exampleCount: n, support: 128, imitatingBatchSize: b), reference: denseWrite, dense)
        row("sparse Gaussian diag. B=128, imitating 128", try SparseGaussianSampling(exampleCount: n, support: 128, imitatingBatchSize: b, covariance: .diagonal), reference: denseWrite, dense)
        row("mini-batch Gaussian full B=1024, imit. 128", try MiniBatchGaussianSampling(exampleCount: n, batchSize: 1_024, imitatingBatchSize: b), reference: denseWrite, dense)
    } catch {
        print("sampling bench: \(error)")
    }
}
