import Foundation
import Testing

/// Misuse stops with its message in a release build too.
///
/// Swift's `precondition` drops its message under -O, so a test run in debug mode cannot see the
/// difference: this one builds the `noisyoptim-trapcheck` executable with `-c release` into its
/// own scratch directory (.build-release-check, so it never contends for the lock of the build
/// running the tests), runs one misuse per child process and reads the child's standard error.
/// The first run compiles the library in release mode (a minute or two on two cores); later runs
/// reuse the scratch directory.
@Suite struct ReleaseMessageTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `swift` from PATH, or nil.
    static let swift: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        .split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swift") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    /// Each misuse and what its message must say: both shapes, the value, the name.
    static let cases: [(name: String, message: String)] = [
        ("scalars", "3 scalars cannot fill shape [2, 2] (4 needed)"),
        ("ragged", "row 1 has 1 scalars, row 0 has 2"),
        ("transposed", "transposed() needs a matrix, shape is [2, 3, 4]"),
        ("rows", "rows 1..<5 out of range for shape [3, 2]"),
        ("gatheringRows", "row index 7 out of range for shape [3, 2]"),
        ("axis", "axis 2 out of range for shape [3, 2]"),
        ("maxOfEmpty", "max of an empty tensor of shape [0, 3]"),
        ("scalar", "scalar needs a one-element tensor, shape is [2]"),
        ("randomUniform", "randomUniform needs lower ≤ upper, got 1.0 and 0.0"),
        ("nextInt", "nextInt(below:) needs a positive bound, got 0"),
        ("gradientOfVector", "f returned shape [3]; it must be one scalar"),
        ("mlpSizes", "MLP sizes must be positive, got [4, 0, 2]"),
        ("mlpInputs", "the MLP takes rows of 4 features, inputs have shape [3, 5]"),
        ("split", "trainingFraction must be in [0, 1], got 2.0"),
        ("standardizer", "standardizer fitted on 2 features, got shape [3, 4]"),
        ("miniBatches", "batchSize must be positive, got 0"),
        ("covariance", "covariance(0, 4) outside 0..<4"),
        ("threads", "Parallelism.maximumThreadCount must be at least 1, got 0"),
        ("slice", "segment parameters (0..<5) does not fit a flat vector of shape [3]"),
        ("perturbedPoint", "parameters have shape [3], the layout has 4 scalars"),
        // A thrown error reaching `try!` or the top level, as in the demo and the benchmarks.
        ("try", "invalid hyperparameter learningRate = -1.0"),
        ("matmul", "matmul shapes [2, 3] and [2, 3] do not agree (3 vs 2)"),
        ("add", "shapes [2, 3] and [4] do not broadcast"),
        ("index", "index [2, 0] out of range for shape [2, 3]"),
        ("step", "gradient has shape [5], parameters have shape [4]"),
        ("layout", "a parameter named w already exists"),
        ("hugeShape", "shape [4294967296, 4294967296] has more scalars than memory can be addressed for"),
        ("reshape", "cannot reshape [4] (4 scalars) to [-1, 4294967296, 4294967296]"),
        ("sampleWeights", "index 3 is outside 0..<3"),
        ("schedule", "a step schedule needs every > 0, got 0"),
        ("fullBatch", "a full batch needs at least one example, got 0"),
    ]

    struct Run {
        var status: Int32
        var reason: Process.TerminationReason
        var output: String
        var error: String
    }

    static func run(_ executable: URL, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting, so a child that fills a pipe cannot block forever.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, reason: process.terminationReason,
                   output: String(decoding: out, as: UTF8.self), error: String(decoding: err, as: UTF8.self))
    }

    @Test(.enabled(if: swift != nil, "swift is not on PATH, so the release build of noisyoptim-trapcheck cannot be made"))
    func releaseBuildsPrintTheMessage() throws {
        let scratch = Self.packageRoot.appendingPathComponent(".build-release-check").path
        let build = try Self.run(Self.swift!, ["build", "-c", "release", "--product", "noisyoptim-trapcheck", "--scratch-path", scratch])
        try #require(build.status == 0, "release build failed:\n\(build.output)\n\(build.error)")
        let binPath = try Self.run(Self.swift!, ["build", "-c", "release", "--scratch-path", scratch, "--show-bin-path"])
        let binary = URL(fileURLWithPath: binPath.output.trimmingCharacters(in: .whitespacesAndNewlines))
            .appendingPathComponent("noisyoptim-trapcheck")
        #expect(binary.path.contains("release"), "\(binary.path) is not a release build")

        for c in Self.cases {
            let result = try Self.run(binary, [c.name])
            #expect(result.reason == .uncaughtSignal, "\(c.name) did not stop: \(result.output)")
            #expect(result.error.contains(c.message), "\(c.name): standard error was \(result.error.prefix(400).debugDescription)")
        }
        // The executable itself: an unknown case is a usage message and exit status 2, not a trap.
        let usage = try Self.run(binary, ["no-such-case"])
        #expect(usage.reason == .exit && usage.status == 2 && usage.output.contains("usage"))
    }
}
