// swift-tools-version: 6.1
import PackageDescription

// NoisyOptim has no package dependencies and no unsafe flags, so it can be imported by version.
// The `FMA` trait selects fused multiply-add micro-kernels and `AVX512` (which implies `FMA`)
// 16-wide ones; enable one only when the build also targets a CPU that has the instructions, with
// -Xcc -march=x86-64-v3 or -Xcc -march=x86-64-v4 (see README, "Faster builds").
let package = Package(
    name: "NoisyOptim",
    products: [
        .library(name: "NoisyOptim", targets: ["NoisyOptim"]),
        .executable(name: "noisyoptim-demo", targets: ["noisyoptim-demo"]),
        .executable(name: "noisyoptim-bench", targets: ["noisyoptim-bench"]),
        .executable(name: "noisyoptim-trapcheck", targets: ["noisyoptim-trapcheck"]),
    ],
    traits: [
        .trait(
            name: "FMA",
            description: "Use fused multiply-add micro-kernels. Build with -Xcc -march=native (or another target with FMA) as well."
        ),
        .trait(
            name: "AVX512",
            description: "Use 16-wide AVX-512 micro-kernels (implies FMA). Build with -Xcc -march=x86-64-v4 (or native on an AVX-512 CPU) as well.",
            enabledTraits: ["FMA"]
        ),
    ],
    targets: [
        .target(
            name: "NoisyOptim",
            swiftSettings: [
                .define("NOISYOPTIM_FMA", .when(traits: ["FMA"])),
                .define("NOISYOPTIM_AVX512", .when(traits: ["AVX512"])),
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
        // Runs one misuse per call, for the test that release builds print the library's messages.
        .executableTarget(
            name: "noisyoptim-trapcheck",
            dependencies: ["NoisyOptim"]
        ),
        .testTarget(
            name: "NoisyOptimTests",
            dependencies: ["NoisyOptim"]
        ),
        // What a user can write: `import NoisyOptim` without @testable.
        .testTarget(
            name: "NoisyOptimAPITests",
            dependencies: ["NoisyOptim"]
        ),
        .testTarget(
            name: "NoisyOptimCLITests",
            dependencies: ["NoisyOptimCLI", "NoisyOptim"]
        ),
    ]
)
