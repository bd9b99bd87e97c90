import Testing
@testable import NoisyOptim

@Suite struct SplitAndMetricsTests {
    /// Classes of 10, 7 and 3 examples split 0.8: round(8), round(5.6) = 6, round(2.4) = 2 train.
    @Test func stratifiedSplitKeepsEveryClassShare() throws {
        let labels = [Float](repeating: 0, count: 10) + [Float](repeating: 1, count: 7) + [Float](repeating: 2, count: 3)
        let shuffledLabels = labels.enumerated().sorted { ($0.offset * 7) % 20 < ($1.offset * 7) % 20 }.map(\.element)
        let features = Tensor(shape: [20, 1], scalars: (0..<20).map(Float.init))
        let data = try Dataset(features: features, targets: Tensor(shuffledLabels), classCount: 3)
        var generator = Philox4x32(seed: 4)
        let (training, test) = data.stratifiedSplit(trainingFraction: 0.8, using: &generator)
        func counts(_ d: Dataset) -> [Int] { (0..<3).map { k in d.labels.filter { $0 == k }.count } }
        #expect(counts(training) == [8, 6, 2])
        #expect(counts(test) == [2, 1, 1])
        // Disjoint and complete: the feature is the example's index.
        let indices = (training.features.scalars + test.features.scalars).map { Int($0) }
        #expect(indices.sorted() == Array(0..<20))
        // Each example keeps its label.
        for (x, y) in zip(training.features.scalars, training.targets.scalars) { #expect(shuffledLabels[Int(x)] == y) }
        var again = Philox4x32(seed: 4)
        #expect(data.stratifiedSplit(trainingFraction: 0.8, using: &again).training.features == training.features)
        var other = Philox4x32(seed: 5)
        #expect(data.stratifiedSplit(trainingFraction: 0.8, using: &other).training.features != training.features)
    }

    @Test func confusionMatrixByHand() {
        let labels = [0, 0, 1, 1, 1, 2]
        let predicted = [0, 1, 1, 1, 2, 2]
        let matrix = ConfusionMatrix(predicted: predicted, labels: labels, classCount: 4)
        #expect(matrix.counts == [1, 1, 0, 0,  0, 2, 1, 0,  0, 0, 1, 0,  0, 0, 0, 0])
        #expect(matrix[1, 2] == 1 && matrix.total == 6)
        #expect(matrix.accuracy == 4.0 / 6)
        #expect(accuracy(predicted: predicted, labels: labels) == 4.0 / 6)
        #expect(matrix.recall[0] == 0.5 && matrix.recall[1] == 2.0 / 3 && matrix.recall[3] == nil)
        #expect(matrix.precision[1] == 2.0 / 3 && matrix.precision[2] == 0.5 && matrix.precision[3] == nil)
    }
}
