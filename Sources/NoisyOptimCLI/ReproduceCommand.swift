// ReproduceCommand: `noisyoptim-demo reproduce PAPER` runs a paper's experiment (or a shard of its
// grid) and prints the table; `reproduce merge FILE...` checks shards and prints their table.

import Foundation
import NoisyOptim

/// The options of `reproduce`.
struct ReproduceOptions {
    static let specs: [OptionSpec] = [
        OptionSpec(name: "seeds", value: "N", help: "seeds per configuration, N ≥ 1 (default: per paper)"),
        OptionSpec(name: "steps", value: "N", help: "steps per run, N ≥ 1 (default: the paper's)"),
        OptionSpec(name: "quick", value: nil, help: "a small version of the experiment (under a minute each, for a smoke test)"),
        OptionSpec(name: "json", value: "FILE", help: "write every cell's results (needed to merge shards)"),
        OptionSpec(name: "shard", value: "I/N", help: "run only cells c with c mod N = I − 1 of the (configuration × seed) grid, 1 ≤ I ≤ N"),
        OptionSpec(name: "threads", value: "N", help: "threads for the kernels, 1–256 (default: all cores)"),
        OptionSpec(name: "help", value: nil, help: "print the help"),
    ]

    var paper: String
    var size: ExperimentSize?
    var seeds: Int?
    var steps: Int?
    var quick: Bool
    var jsonPath: String?
    var shard: (index: Int, count: Int) = (1, 1)
    var threads: Int?
    var help: Bool
    var files: [String]

    init(_ arguments: [String]) throws {
        let args = try Arguments(arguments, specs: ReproduceOptions.specs)
        help = args.has("help")
        let positionals = args.positionals
        guard let first = positionals.first else {
            if help { paper = ""; quick = false; files = []; return }
            throw CommandLineError.usage("reproduce needs a paper: one of \(Experiments.names.joined(separator: ", ")), or merge FILE...")
        }
        paper = first
        files = Array(positionals.dropFirst())
        if paper != "merge" {
            guard Experiments.names.contains(paper) else {
                throw CommandLineError.usage("reproduce: '\(paper)' is not accepted; expected one of \(Experiments.names.joined(separator: ", ")) or merge")
            }
            if let extra = files.first { throw CommandLineError.usage("reproduce \(paper): unexpected argument '\(extra)'") }
        } else if files.isEmpty {
            throw CommandLineError.usage("reproduce merge needs the JSON files of the shards: reproduce merge FILE...")
        }
        seeds = try args.int("seeds", in: 1...10_000, "an integer ≥ 1")
        steps = try args.int("steps", in: 1...1_000_000_000, "an integer ≥ 1")
        quick = args.has("quick")
        jsonPath = args.string("json")
        threads = try args.int("threads", in: 1...256, "an integer from 1 to 256")
        if let text = args.string("shard") {
            let parts = text.split(separator: "/").map { Int($0) }
            guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 1, i <= n else {
                throw CommandLineError.usage("--shard: '\(text)' is not accepted; expected I/N with 1 ≤ I ≤ N, e.g. 3/8")
            }
            shard = (i, n)
            if jsonPath == nil { throw CommandLineError.usage("--shard needs --json FILE, so that reproduce merge can combine the shards") }
        }
        if paper == "merge" && (seeds != nil || steps != nil || quick || args.has("shard")) {
            throw CommandLineError.usage("reproduce merge takes only FILE... (and --json FILE): the settings come from the files")
        }
    }
}

enum ReproduceCommand {
    static func run(_ arguments: [String], resources: URL, output: (String) -> Void, progress: ConsoleReporter?) throws {
        let options = try ReproduceOptions(arguments)
        if options.help {
            output(Help.text)
            return
        }
        if let threads = options.threads { Parallelism.maximumThreadCount = threads }
        if options.paper == "merge" {
            let (experiment, file) = try merge(options.files, resources: resources)
            output(ExperimentTable.render(experiment, cells: file.cells, size: file.size, wallSeconds: file.wallSeconds))
            output("merged \(options.files.count) shard file\(options.files.count == 1 ? "" : "s"), \(file.cells.count) cells (wall time summed over shards)")
            if let path = options.jsonPath { try Reports.write(Reports.json(file), to: path, option: "--json") }
            return
        }
        let experiment = try Experiments.named(options.paper, resources: resources)
        var size = options.quick ? experiment.quick : experiment.full
        if let steps = options.steps { size.steps = steps }
        if let seeds = options.seeds { size.seeds = seeds }
        let file = try execute(experiment, size: size, shard: options.shard, progress: progress)
        if options.shard.count > 1 {
            output("shard \(options.shard.index)/\(options.shard.count) of \(options.paper): \(file.cells.count) of \(file.cellCount) cells in \(String(format: "%.1f", file.wallSeconds)) s; merge the shards with: noisyoptim-demo reproduce merge FILE...")
        } else {
            output(ExperimentTable.render(experiment, cells: file.cells, size: size, wallSeconds: file.wallSeconds))
        }
        if let path = options.jsonPath {
            try Reports.write(Reports.json(file), to: path, option: "--json")
            output("json: \(path)")
        }
    }

    /// Runs the cells of `shard` (cell c belongs to shard c mod N + 1).
    static func execute(_ experiment: Experiment, size: ExperimentSize, shard: (index: Int, count: Int),
                        progress: ConsoleReporter?) throws -> ReproductionFile {
        let clock = ContinuousClock()
        let began = clock.now
        let grid = experiment.cells(seeds: size.seeds)
        var cells: [CellResult] = []
        for (index, cell) in grid.enumerated() where index % shard.count == shard.index - 1 {
            let name = experiment.configurations[cell.configuration]
            progress?.label = column("\(name), seed \(cell.seed)", 46)
            progress?.keepsFinalLine = false
            let start = clock.now
            let metrics = try experiment.run(cell.configuration, cell.seed, size.steps, progress)
            cells.append(CellResult(configuration: name, seed: cell.seed, metrics: metrics, seconds: Runner.seconds(clock.now - start)))
        }
        return ReproductionFile(paper: experiment.paper, size: size, shardIndex: shard.index, shardCount: shard.count,
                                cellCount: grid.count, cells: cells, wallSeconds: Runner.seconds(clock.now - began))
    }

    /// Reads shard files and checks that they belong together: one paper, one size, one shard
    /// count, every shard exactly once, every cell of the grid present.
    static func merge(_ paths: [String], resources: URL) throws -> (Experiment, ReproductionFile) {
        var files: [(String, ReproductionFile)] = []
        for path in paths {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw CommandLineError.failure("\(path): cannot read: \(error.localizedDescription)")
            }
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            do { files.append((path, try decoder.decode(ReproductionFile.self, from: data))) } catch {
                throw CommandLineError.failure("\(path): not a reproduction file written by reproduce --json (\(describe(error)))")
            }
        }
        let (firstPath, first) = files[0]
        for (path, file) in files.dropFirst() {
            guard file.paper == first.paper else { throw CommandLineError.failure("\(path): paper \(file.paper), but \(firstPath) has \(first.paper)") }
            guard file.size == first.size else {
                throw CommandLineError.failure("\(path): settings \(file.size.steps) steps × \(file.size.seeds) seeds\(file.size.quick ? " quick" : ""), but \(firstPath) has \(first.size.steps) × \(first.size.seeds)\(first.size.quick ? " quick" : "")")
            }
            guard file.shardCount == first.shardCount else {
                throw CommandLineError.failure("\(path): shard of \(file.shardCount), but \(firstPath) is a shard of \(first.shardCount)")
            }
        }
        let indices = files.map(\.1.shardIndex)
        if let repeated = indices.first(where: { i in indices.filter { $0 == i }.count > 1 }) {
            throw CommandLineError.failure("shard \(repeated)/\(first.shardCount) is given more than once")
        }
        let missing = (1...first.shardCount).filter { !indices.contains($0) }
        guard missing.isEmpty else {
            throw CommandLineError.failure("missing shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(first.shardCount)" }.joined(separator: ", ")) of \(first.paper)")
        }
        let experiment = try Experiments.named(first.paper, resources: resources)
        let cells = files.flatMap(\.1.cells)
        let expected = experiment.cells(seeds: first.size.seeds).map { "\(experiment.configurations[$0.configuration])#\($0.seed)" }
        let present = Set(cells.map { "\($0.configuration)#\($0.seed)" })
        guard present.count == cells.count, present == Set(expected) else {
            throw CommandLineError.failure("the shards' cells do not form the \(expected.count)-cell grid of \(first.paper) (found \(cells.count), \(present.count) distinct)")
        }
        let merged = ReproductionFile(paper: first.paper, size: first.size, shardIndex: 1, shardCount: 1, cellCount: expected.count,
                                      cells: cells, wallSeconds: files.reduce(0) { $0 + $1.1.wallSeconds })
        return (experiment, merged)
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? DecodingError {
            switch error {
            case let .dataCorrupted(context): return context.debugDescription
            case let .keyNotFound(key, _): return "no field '\(key.stringValue)'"
            case let .typeMismatch(_, context), let .valueNotFound(_, context): return context.debugDescription
            @unknown default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
