import Testing
@testable import NoisyOptim

@Suite struct ConsoleReporterTests {
    static func run(_ reporter: ConsoleReporter, steps: Int) throws {
        let model = TrainingLoopTests.model
        var loop = TrainingLoop(optimizer: try SGD(layout: model.layout, learningRate: 0.1),
                                parameters: model.initialParameters(seed: 1),
                                objective: model.objective(on: TrainingLoopTests.data),
                                batches: try EpochSampling(exampleCount: 40, batchSize: 10, seed: 2))
        loop.callbacks.append(reporter.callback)
        try loop.run(steps: steps)
    }

    /// Not a terminal: a plain line every 4 steps and one at the end, each a whole line.
    @Test func plainLinesEveryKSteps() throws {
        var written: [String] = []
        let reporter = ConsoleReporter(label: "SGD", lineInterval: 4, isTerminal: false) { written.append($0) }
        try Self.run(reporter, steps: 10)
        #expect(written.count == 3)
        #expect(written.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") && $0.hasPrefix("SGD  step ") })
        #expect(written[0].contains("step  4/10") && written[1].contains("step  8/10") && written[2].contains("step 10/10"))
        #expect(written[0].contains("epoch 1.0") && written[2].contains("epoch 2.5"))
        #expect(written[2].contains("took"))
    }

    /// A terminal: every draw returns to the start of the line and erases it; one newline, at the end.
    @Test func terminalRedrawsInPlace() throws {
        var written: [String] = []
        let reporter = ConsoleReporter(redrawInterval: .zero, isTerminal: true) { written.append($0) }
        try Self.run(reporter, steps: 6)
        #expect(written.count == 7) // six steps and the end
        #expect(written.allSatisfy { $0.hasPrefix("\r\u{1B}[2K") })
        #expect(written.dropLast().allSatisfy { !$0.contains("\n") } && written.last!.hasSuffix("\n"))
        #expect(written[2].contains("ETA"))
    }

    /// The hand-written fixed-point formatter against Foundation's "%.nf" on awkward values.
    @Test(arguments: [0.0, -0.0, 0.04999, 0.05, 1.25, -1.25, 2.5e-5, 95.54317, 99.995, 1234.5678, -0.00004, 3e20])
    func fixedMatchesPrintf(value: Double) {
        for places in 0...4 {
            let expected = String(format: "%.\(places)f", value)
            let found = ConsoleReporter.fixed(value, places)
            // printf rounds the binary value half to even; ours rounds the scaled value half away
            // from zero, so a tie like 1.25 at one place may differ in the last digit only.
            if found != expected {
                #expect(found.count == expected.count && found.dropLast() == expected.dropLast(), "\(value) at \(places): \(found) vs \(expected)")
            }
        }
        #expect(ConsoleReporter.fixed(96.38, 2) == "96.38" && ConsoleReporter.fixed(-0.5, 0) == "-1" && ConsoleReporter.fixed(0.0001, 2) == "0.00")
    }

    @Test func durations() {
        #expect(ConsoleReporter.duration(59.6) == "1:00")
        #expect(ConsoleReporter.duration(3725) == "1:02:05")
        #expect(ConsoleReporter.duration(.infinity) == "?")
    }
}
