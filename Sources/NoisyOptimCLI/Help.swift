// Help: the text of `--help`, built from the option specs and the optimizer list so that it
// cannot drift from what the parser accepts.

enum Help {
    static let usage = """
    Usage: noisyoptim-demo [options]
           noisyoptim-demo reproduce neelakantan|wu|orvieto [--seeds N] [--steps N] [--quick] [--json FILE] [--shard I/N]
           noisyoptim-demo reproduce merge FILE...
    """

    static var text: String {
        let width = OptimizerName.allCases.map(\.rawValue.count).max()! + 2
        return """
        noisyoptim-demo — train small networks with noisy-gradient optimizers, compare them, reproduce papers.

        \(usage)

        With no arguments: every optimizer on the bundled UCI digits from the same start, a comparison
        table, a checkpoint resumed bit for bit, and least squares on the diabetes data.

        Options:
        \(Arguments.helpLines(TrainOptions.specs))

        Optimizers (--optimizer):
        \(OptimizerName.allCases.map { "  " + $0.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + $0.reference }.joined(separator: "\n"))

        Sampling classes (--sampling; MSGD classes imitate batch b with SGD's covariance):
        \(SamplingChoice.allCases.map { "  " + $0.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + $0.help }.joined(separator: "\n"))

        Every noise site (--sampling, --perturb, --gradient-noise) combines with every optimizer.

        reproduce PAPER: the experiment of a paper (settings in the README, "Reproductions").
        \(Arguments.helpLines(ReproduceOptions.specs))

        Exit codes: 0 success, 1 a missing or malformed file or a failed run, 2 bad usage.
        """
    }
}
