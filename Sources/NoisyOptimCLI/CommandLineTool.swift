// CommandLineTool: the entry point of noisyoptim-demo — dispatches to the training command or
// `reproduce`, turns every error into one line and an exit code, never a crash trace.

import Foundation
import NoisyOptim

/// noisyoptim-demo as a function of its arguments, so that tests can run it.
public struct CommandLineTool {
    /// The directory holding the bundled data (digits.csv, diabetes_*.csv).
    public var resources: URL
    /// Where results go (standard output by default).
    public var output: (String) -> Void
    /// Where errors go (standard error by default).
    public var errorOutput: (String) -> Void
    /// Live progress (nil: none).
    public var progress: ConsoleReporter?

    /// A tool reading bundled data from `resources`, printing to standard output and error, with
    /// progress on standard error.
    public init(resources: URL) {
        self.resources = resources
        self.output = { print($0); fflush(nil) }
        self.errorOutput = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        self.progress = ConsoleReporter(lineInterval: 250)
    }

    /// A tool with explicit sinks (for tests).
    public init(resources: URL, output: @escaping (String) -> Void, errorOutput: @escaping (String) -> Void,
                progress: ConsoleReporter? = nil) {
        self.resources = resources
        self.output = output
        self.errorOutput = errorOutput
        self.progress = progress
    }

    /// Runs the command `arguments` (without the program name) and returns the exit code.
    public func run(_ arguments: [String]) -> Int32 {
        do {
            if arguments.first == "reproduce" {
                try ReproduceCommand.run(Array(arguments.dropFirst()), resources: resources, output: output, progress: progress)
            } else {
                try TrainCommand.run(arguments, resources: resources, output: output, progress: progress)
                if arguments.isEmpty {
                    try DemoExtras.checkpointSection(data: DataLoading.digits(resources: resources), output: output)
                    try DemoExtras.diabetesSection(resources: resources, output: output)
                }
            }
            return 0
        } catch let error as CommandLineError {
            errorOutput("noisyoptim-demo: \(error)")
            if case .usage = error {
                errorOutput(arguments.first == "reproduce" ? Help.usage + "\nRun 'noisyoptim-demo --help' for every option."
                                                           : "Run 'noisyoptim-demo --help' for the options.")
            }
            return error.exitCode
        } catch {
            errorOutput("noisyoptim-demo: \(error)")
            return 1
        }
    }
}
