// noisyoptim-bench: prints one table of speed figures, each with its ratio to a reference timed in
// the same run. `noisyoptim-bench [group ...]` runs only the named groups.

import Foundation
import NoisyOptim

let groups: [(name: String, run: (inout BenchTable) -> Void)] = [
    ("gemm", benchGEMM),
    ("random", benchRandom),
    ("autodiff", benchAutodiff),
    ("perexample", benchPerExample),
    ("privacy", benchPrivacy),
    ("optim", benchOptimizers),
    ("adaptive", benchAdaptive),
    ("family", benchFamily),
    ("scaling", benchScaling),
    ("sampling", benchSampling),
    ("samplers", benchSamplers),
    ("small", benchSmall),
    ("training", benchTraining),
    ("peer", benchPeer),
]

let requested = Set(CommandLine.arguments.dropFirst())
let unknown = requested.subtracting(groups.map(\.name))
if !unknown.isEmpty {
    print("unknown group(s): \(unknown.sorted().joined(separator: ", ")); groups: \(groups.map(\.name).joined(separator: ", "))")
    exit(2)
}
print("noisyoptim-bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, threads allowed: \(Parallelism.maximumThreadCount)")
print(kernelBuildAdvice(product: "noisyoptim-bench"))
var table = BenchTable()
for group in groups where requested.isEmpty || requested.contains(group.name) {
    group.run(&table)
}
