import Foundation
import Testing
@testable import NoisyOptim
@testable import NoisyOptimCLI

/// `--noise-every N`: a table of the noise figures of steps 0, N, 2N, … after the run.
@Suite struct NoiseReportTests {
    @Test func everyNthStepIsMeasured() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("two.csv")
        try twoFeatureCSV().write(to: data, atomically: true, encoding: .utf8)
        let run = runTool(["--data", data.path, "--optimizer", "noisy-sgd", "--gradient-noise", "0.5", "--steps", "6",
                           "--batch", "8", "--model", "2-3-2", "--noise-every", "2"])
        #expect(run.code == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("noise every 2 steps") }, "\(run.output)")
        let rows = lines[(header + 2)...].prefix { $0.first == " " }.map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map { $0.first } == ["0", "2", "4"])
        // P·σₜ² of the MLP 2-3-2 (17 parameters) with η = 0.5, γ = 0.55, as printed (4 digits).
        for row in rows {
            let t = Double(row[0])!
            #expect(row[5] == String(format: "%.3e", 17 * 0.5 / pow(1 + t, 0.55)), "step \(row[0]): \(row)")
            // B_simple is tr(Σ)/|G|² of the same row, up to the printed rounding (4 digits each).
            let ratio = Double(row[2])! / Double(row[1])!
            #expect(abs(Double(row[3])! / ratio - 1) < 1.5e-3, "\(row)")
        }
    }

    @Test func oneOptimizerOnly() {
        let run = runTool(["--noise-every", "5", "--steps", "3"])
        #expect(run.code == 2)
        #expect(run.errors.first?.contains("--noise-every needs one optimizer") == true, "\(run.errors)")
    }
}
