// Dataset+StratifiedSplit: a seeded train/test split that keeps each class's share in both parts.

extension Dataset {
    /// A seeded split in which every class is divided in the same proportion: of the nₖ examples
    /// of class k, round(nₖ·`trainingFraction`) go to the training part and the rest to the test
    /// part, so both parts keep the class frequencies of the whole (up to rounding per class).
    ///
    /// Each class's examples are shuffled with `generator` (classes in order 0, 1, …); both parts
    /// keep the data set's order of examples. Needs a classification data set.
    public func stratifiedSplit<G: RandomNumberGenerator>(trainingFraction: Double, using generator: inout G)
        -> (training: Dataset, test: Dataset) {
        check(trainingFraction >= 0 && trainingFraction <= 1, "trainingFraction must be in [0, 1], got \(trainingFraction)")
        guard let classCount else { fail("a stratified split needs class labels; this data set is a regression (classCount nil)") }
        var members = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { members[label].append(index) }
        var training: [Int] = [], test: [Int] = []
        for examples in members {
            let shuffled = examples.shuffled(using: &generator)
            let cut = Int((Double(examples.count) * trainingFraction).rounded())
            training += shuffled[..<cut]
            test += shuffled[cut...]
        }
        return (subset(training.sorted()), subset(test.sorted()))
    }
}
