// SamplerBench: the Langevin samplers' steps on 10M parameters beside the plain SGD step timed in
// the same run, so the ratio is what the sampling costs over descent.
//
// SGD reads g and θ and writes θ (12 bytes per parameter, one fused pass). SGLD adds a normal per
// parameter on the chained path; pSGLD reads and writes V too (20 bytes) and adds a root and a
// division; SGHMC reads and writes v (20 bytes). The normals' generation is the compute they share.

import NoisyOptim

func benchSamplers(_ table: inout BenchTable) {
    let savedThreads = Parallelism.maximumThreadCount
    defer { Parallelism.maximumThreadCount = savedThreads }
    let n = 10_000_000
    let layout = ParameterLayout.flat(count: n)
    let gradient = Tensor(shape: [n], repeating: 1e-3)

    for threads in [1, 2] {
        Parallelism.maximumThreadCount = threads
        var theta = Tensor(shape: [n], repeating: 1)
        func rate(_ seconds: Double) -> Double { Double(n) / seconds / 1e6 }

        var sgd = try! SGD(layout: layout, learningRate: 1e-3)
        let plain = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! sgd.step(&theta, gradient: gradient) }
        table.add("samplers", "SGD step 10M (\(threads)t)", value: rate(plain), unit: "M par/s")
        if threads == 1 {
            // The ceiling of every sampler row: 10M keyed normals into one L1 block, no memory traffic.
            let noise = NoiseStream(seed: 9)
            var scratch = [Float](repeating: 0, count: UpdateBlock.size)
            let normals = secondsPerCall(repeats: 5, minimumSeconds: 0.2) {
                scratch.withUnsafeMutableBufferPointer { buffer in
                    for block in 0..<(n / UpdateBlock.size) {
                        noise.addNormal(to: buffer, standardDeviation: 0.1, step: 0, position: block * UpdateBlock.size)
                    }
                }
            }
            table.add("samplers", "10M keyed normals alone, L1 block (1t)", value: rate(normals), unit: "M/s",
                      ratio: plain / normals, versus: "SGD")
        }

        var sgld = try! SGLD(layout: layout, stepSize: 2e-3, seed: 1)
        let sgldSeconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! sgld.step(&theta, gradient: gradient) }
        table.add("samplers", "SGLD step 10M (\(threads)t)", value: rate(sgldSeconds), unit: "M par/s",
                  ratio: plain / sgldSeconds, versus: "SGD")

        var psgld = try! PreconditionedSGLD(layout: layout, stepSize: 2e-3, seed: 2)
        let psgldSeconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! psgld.step(&theta, gradient: gradient) }
        table.add("samplers", "pSGLD step 10M (\(threads)t)", value: rate(psgldSeconds), unit: "M par/s",
                  ratio: plain / psgldSeconds, versus: "SGD")

        var sghmc = try! SGHMC(layout: layout, learningRate: 1e-6, friction: 0.1, seed: 3)
        let sghmcSeconds = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! sghmc.step(&theta, gradient: gradient) }
        table.add("samplers", "SGHMC step 10M (\(threads)t)", value: rate(sghmcSeconds), unit: "M par/s",
                  ratio: plain / sghmcSeconds, versus: "SGD")
        blackHole(theta)
    }

    // Recording a sample: Welford's update of a Double mean and sum of squares (20 bytes read,
    // 16 written per scalar), single-threaded, against the SGD step at 1 thread.
    Parallelism.maximumThreadCount = 1
    var theta = Tensor(shape: [n], repeating: 1)
    var sgd = try! SGD(layout: layout, learningRate: 1e-3)
    let plain = secondsPerCall(repeats: 5, minimumSeconds: 0.2) { try! sgd.step(&theta, gradient: gradient) }
    var average = try! PosteriorAverage(count: n)
    var step = 0
    let record = secondsPerCall(repeats: 5, minimumSeconds: 0.2) {
        step += 1
        average.record(step: step, parameters: theta)
    }
    table.add("samplers", "PosteriorAverage.record 10M (1t)", value: Double(n) / record / 1e6, unit: "M par/s",
              ratio: plain / record, versus: "SGD step")
    blackHole(average)
}
