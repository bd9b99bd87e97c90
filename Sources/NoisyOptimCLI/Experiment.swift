// Experiment: a paper's experiment as a grid of (configuration × seed) cells, each a function of
// its cell alone, so that shards of the grid run anywhere and merge into one table.

import Foundation
import NoisyOptim

/// One measured quantity of an experiment's cells.
struct Metric: Sendable {
    var key: String
    var title: String
    /// printf format of one value (a percent metric is stored as a fraction and shown × 100).
    var format: String
    var percent = false
    /// Also show the best value over seeds (the largest).
    var showsBest = false
}

/// The data an experiment runs on: the paper's setting, or a tiny share of it for tests.
enum ExperimentScale: Sendable {
    case paper
    case tiny

    /// `data` itself, or (tiny) its first `training` training and 32 test examples.
    func shrink(_ data: PreparedData, training: Int) -> PreparedData {
        guard self == .tiny else { return data }
        var small = data
        small.training = data.training.subset(Array(0..<min(training, data.training.count)))
        small.test = data.test.subset(Array(0..<min(32, data.test.count)))
        return small
    }
}

/// How big an experiment run is.
struct ExperimentSize: Codable, Equatable, Sendable {
    var steps: Int
    var seeds: Int
    var quick: Bool
}

/// A paper's experiment.
struct Experiment: Sendable {
    var paper: String
    var title: String
    /// The settings, in one paragraph, printed above the table.
    var settings: String
    var configurations: [String]
    var metrics: [Metric]
    var full: ExperimentSize
    var quick: ExperimentSize
    /// The paper's figure per configuration, shown beside ours (empty: none).
    var paperColumn: [String: String] = [:]
    var paperColumnTitle = ""
    /// Runs cell (configuration, seed) for `steps` steps and returns its metrics by key.
    var run: @Sendable (_ configuration: Int, _ seed: Int, _ steps: Int, _ progress: ConsoleReporter?) throws -> [String: Double]

    /// The cells of the grid in order: configuration-major, seeds inner.
    func cells(seeds: Int) -> [(configuration: Int, seed: Int)] {
        configurations.indices.flatMap { c in (0..<seeds).map { (c, $0) } }
    }
}

/// One cell's outcome.
struct CellResult: Codable, Equatable, Sendable {
    var configuration: String
    var seed: Int
    var metrics: [String: Double]
    var seconds: Double
}

/// What a (shard of a) reproduction wrote: enough to check and merge shards.
struct ReproductionFile: Codable, Equatable {
    var paper: String
    var size: ExperimentSize
    var shardIndex: Int
    var shardCount: Int
    var cellCount: Int
    var cells: [CellResult]
    var wallSeconds: Double
}

enum ExperimentTable {
    /// The table of `cells`: per configuration and metric, mean ± sample standard deviation over
    /// seeds (and the best where asked), with the paper's column.
    static func render(_ experiment: Experiment, cells: [CellResult], size: ExperimentSize, wallSeconds: Double) -> String {
        func width(_ metric: Metric) -> Int { max(26, metric.title.count + 13) }
        var header = [column("configuration", 34)]
        for metric in experiment.metrics {
            header.append(column(metric.title + " (mean ± sd)", width(metric)))
            if metric.showsBest { header.append(column("best", 9)) }
        }
        if !experiment.paperColumn.isEmpty { header.append(experiment.paperColumnTitle) }
        var lines = [
            "\(experiment.title)",
            experiment.settings,
            "\(size.seeds) seed\(size.seeds == 1 ? "" : "s") per configuration, \(size.steps) steps\(size.quick ? " (--quick)" : ""); sd is over seeds; wall time \(String(format: "%.1f", wallSeconds)) s",
            "",
            header.joined(separator: " "),
        ]
        for name in experiment.configurations {
            let mine = cells.filter { $0.configuration == name }
            var row = [column(name, 34)]
            for metric in experiment.metrics {
                let values = mine.compactMap { $0.metrics[metric.key] }.map { metric.percent ? 100 * $0 : $0 }
                guard !values.isEmpty else {
                    row.append(column("—", width(metric)))
                    if metric.showsBest { row.append(column("", 9)) }
                    continue
                }
                let mean = values.reduce(0, +) / Double(values.count)
                let sd = values.count > 1
                    ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot() : 0
                let suffix = metric.percent ? "%" : ""
                row.append(column(String(format: metric.format, mean) + " ± " + String(format: metric.format, sd) + suffix, width(metric)))
                if metric.showsBest { row.append(column(String(format: metric.format, values.max()!) + suffix, 9)) }
            }
            if !experiment.paperColumn.isEmpty { row.append(experiment.paperColumn[name] ?? "") }
            lines.append(row.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
