import Foundation
import Testing
@testable import NoisyOptimCLI

/// Each paper's experiment definition at a tiny size (debug builds), and shards that merge.
@Suite struct ReproduceTests {
    /// Every configuration of every paper runs and yields finite metrics; the MLP-width rows of
    /// Orvieto's experiment only at width 64 (the wide ones are too slow for debug builds).
    @Test(arguments: Experiments.names)
    func experimentRunsAtATinySize(paper: String) throws {
        let experiment = try Experiments.named(paper, resources: resources, scale: .tiny)
        #expect(experiment.configurations.count >= 3)
        let tiny = paper == "orvieto" ? [0, 1, 2, 3, 4] : Array(experiment.configurations.indices)
        for configuration in tiny {
            let metrics = try experiment.run(configuration, 0, 3, nil)
            #expect(!metrics.isEmpty && metrics.values.allSatisfy(\.isFinite), "\(experiment.configurations[configuration]): \(metrics)")
            #expect(Set(metrics.keys).isSubset(of: Set(experiment.metrics.map(\.key))))
        }
        #expect(experiment.quick.steps < experiment.full.steps)
    }

    /// The diagonal network's perturbed runs really perturb: with the same seed their end points
    /// differ from GD's, and GD's support metric is a share of 5.
    @Test func diagonalNetworkModesDiffer() throws {
        let gd = try Experiments.diagonalNetwork(mode: 0, seed: 0, steps: 30, progress: nil)
        let all = try Experiments.diagonalNetwork(mode: 1, seed: 0, steps: 30, progress: nil)
        let layer = try Experiments.diagonalNetwork(mode: 2, seed: 0, steps: 30, progress: nil)
        #expect(gd["l1"] != all["l1"] && all["l1"] != layer["l1"])
        #expect([0, 0.2, 0.4, 0.6, 0.8, 1].contains(gd["support"]!))
        // At β = u ⊙ v = 1 the ℓ₁ norm starts at d = 100 and GD moves it only a little in 30 steps.
        #expect(abs(gd["l1"]! - 100) < 50)
    }

    /// Three shards of Wu's grid (1 seed × 6 configurations, tiny data) written as the command
    /// writes them, merged by the command: the whole grid, equal to an unsharded run; missing,
    /// repeated and mismatched shards are refused.
    @Test func shardsMergeIntoTheWholeGrid() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let experiment = try Experiments.named("wu", resources: resources, scale: .tiny)
        let size = ExperimentSize(steps: 2, seeds: 1, quick: false)
        let files = (1...3).map { directory.appendingPathComponent("wu-\($0).json").path }
        var shards: [ReproductionFile] = []
        for (i, file) in files.enumerated() {
            let shard = try ReproduceCommand.execute(experiment, size: size, shard: (i + 1, 3), progress: nil)
            try Reports.write(Reports.json(shard), to: file, option: "--json")
            shards.append(shard)
        }
        #expect(shards.map(\.cells.count) == [2, 2, 2] && shards.allSatisfy { $0.cellCount == 6 })
        let merged = runTool(["reproduce", "merge"] + files)
        #expect(merged.code == 0, "\(merged.errors)")
        for name in ["GD", "MSGD Bernoulli", "1 seed per configuration, 2 steps"] { #expect(merged.output.contains(name), "\(name)") }

        let unsharded = try ReproduceCommand.execute(experiment, size: size, shard: (1, 1), progress: nil)
        func key(_ cells: [CellResult]) -> [String] {
            cells.map { cell in "\(cell.configuration)#\(cell.seed)=" + cell.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ",") }.sorted()
        }
        #expect(key(unsharded.cells) == key(shards.flatMap(\.cells)))

        let missing = runTool(["reproduce", "merge", files[0], files[2]])
        #expect(missing.code == 1 && (missing.errors.first ?? "").contains("missing shard 2/3"))
        let twice = runTool(["reproduce", "merge", files[0], files[0], files[1]])
        #expect(twice.code == 1 && (twice.errors.first ?? "").contains("more than once"))
        let other = directory.appendingPathComponent("other.json").path
        try Reports.write(Reports.json(ReproduceCommand.execute(experiment, size: ExperimentSize(steps: 3, seeds: 1, quick: false),
                                                                shard: (2, 3), progress: nil)), to: other, option: "--json")
        let mismatch = runTool(["reproduce", "merge", files[0], other, files[2]])
        #expect(mismatch.code == 1 && (mismatch.errors.first ?? "").contains("3 steps"))
        let garbage = directory.appendingPathComponent("garbage.json")
        try "{\"paper\": 1}".write(to: garbage, atomically: true, encoding: .utf8)
        let bad = runTool(["reproduce", "merge", garbage.path])
        #expect(bad.code == 1 && (bad.errors.first ?? "").contains("garbage.json"))
    }

    /// The command itself: one cell of Orvieto's grid (shard 1 of 13: GD on the diagonal
    /// network, which is cheap), written to JSON.
    @Test func reproduceCommandWritesItsShard() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("orvieto-1.json")
        let run = runTool(["reproduce", "orvieto", "--steps", "5", "--seeds", "1", "--shard", "1/13", "--json", file.path])
        #expect(run.code == 0, "\(run.errors)")
        let shard = try JSONDecoder().decode(ReproductionFile.self, from: Data(contentsOf: file))
        #expect(shard.cells.map(\.configuration) == ["GD"] && shard.cellCount == 13 && shard.size.steps == 5)
        #expect(run.output.contains("1 of 13 cells"))
    }

    @Test func tableShowsMeanSpreadAndBest() {
        let experiment = Experiment(
            paper: "t", title: "T", settings: "s", configurations: ["a", "b"],
            metrics: [Metric(key: "accuracy", title: "acc", format: "%.1f", percent: true, showsBest: true)],
            full: ExperimentSize(steps: 1, seeds: 2, quick: false), quick: ExperimentSize(steps: 1, seeds: 1, quick: true),
            paperColumn: ["a": "99 / 98"], paperColumnTitle: "paper", run: { _, _, _, _ in [:] })
        let cells = [CellResult(configuration: "a", seed: 0, metrics: ["accuracy": 0.90], seconds: 1),
                     CellResult(configuration: "a", seed: 1, metrics: ["accuracy": 0.96], seconds: 1)]
        let text = ExperimentTable.render(experiment, cells: cells, size: experiment.full, wallSeconds: 2)
        // mean 93.0, sample sd √((3² + 3²)/1) = 4.2, best 96.0.
        #expect(text.contains("93.0 ± 4.2%") && text.contains("96.0%") && text.contains("99 / 98"))
        #expect(text.contains("2 seeds per configuration, 1 steps") && text.contains("wall time 2.0 s"))
    }
}
