// swift-tools-version: 6.1
import PackageDescription

// NoisyOptim has no package dependencies and no unsafe flags, so it can be imported by version.
// The `FMA` trait selects fused multiply-add micro-kernels; enable it only when the build also
// targets a CPU with FMA (see README, "Faster builds on FMA machines").
let package = Package(
    name: "NoisyOptim",
    products: [
        .library(name: "NoisyOptim", targets: ["NoisyOptim"]),
        .executable(name: "noisyoptim-demo", targets: ["noisyoptim-demo"]),
        .executable(name: "noisyoptim-bench", targets: ["noisyoptim-bench"]),
    ],
    traits: [
        .trait(
            name: "FMA",
            description: "Use fused multiply-add micro-kernels. Build with -Xcc -march=native (or another target with FMA) as well."
        ),
    ],
    targets: [
        .target(
            name: "NoisyOptim",
            swiftSettings: [
                .define("NOISYOPTIM_FMA", .when(traits: ["FMA"])),
            ]
        ),
        // The demo's logic (option parsing, runs, plots, reproductions) is a library so that
        // NoisyOptimCLITests can test it; the executable only calls it.
        // The bundled data stays with the executable, which hands its directory to the library.
        .target(
            name: "NoisyOptimCLI",
            dependencies: ["NoisyOptim"]
        ),
        .executableTarget(
            name: "noisyoptim-demo",
            dependencies: ["NoisyOptimCLI"],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "noisyoptim-bench",
            dependencies: ["NoisyOptim"]
        ),
        .testTarget(
            name: "NoisyOptimTests",
            dependencies: ["NoisyOptim"]
        ),
        .testTarget(
            name: "NoisyOptimCLITests",
            dependencies: ["NoisyOptimCLI", "NoisyOptim"]
        ),
    ]
)
