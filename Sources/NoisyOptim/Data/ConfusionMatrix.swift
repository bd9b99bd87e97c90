// ConfusionMatrix: counts of (true class, predicted class), and the accuracy read from them.

/// The K × K counts Cₖⱼ = #{examples of class k predicted as j}.
///
/// Accuracy is tr C / ΣC; the recall of class k is Cₖₖ / Σⱼ Cₖⱼ, its precision Cₖₖ / Σᵢ Cᵢₖ.
public struct ConfusionMatrix: Codable, Sendable, Hashable {
    /// K, the number of classes.
    public let classCount: Int
    /// Row-major counts: `counts[k * classCount + j]` examples of class k were predicted as j.
    public private(set) var counts: [Int]

    /// The matrix of `predicted` against `labels` (the same length, every value in 0..<classCount).
    public init(predicted: [Int], labels: [Int], classCount: Int) {
        check(classCount > 0, "a confusion matrix needs at least one class, got \(classCount)")
        check(predicted.count == labels.count, "\(predicted.count) predictions for \(labels.count) labels")
        self.classCount = classCount
        counts = [Int](repeating: 0, count: classCount * classCount)
        for (p, y) in zip(predicted, labels) {
            check(p >= 0 && p < classCount && y >= 0 && y < classCount,
                  "prediction \(p) or label \(y) is outside the \(classCount) classes")
            counts[y * classCount + p] += 1
        }
    }

    /// Cₖⱼ: examples of class `actual` predicted as `predicted`.
    public subscript(actual: Int, predicted: Int) -> Int { counts[actual * classCount + predicted] }

    /// The number of examples counted.
    public var total: Int { counts.reduce(0, +) }

    /// tr C / ΣC, the share of correct predictions (0 for no examples).
    public var accuracy: Double {
        total == 0 ? 0 : Double((0..<classCount).reduce(0) { $0 + self[$1, $1] }) / Double(total)
    }

    /// Cₖₖ / Σⱼ Cₖⱼ for each class k (nil for a class with no examples).
    public var recall: [Double?] {
        (0..<classCount).map { k in
            let row = (0..<classCount).reduce(0) { $0 + self[k, $1] }
            return row == 0 ? nil : Double(self[k, k]) / Double(row)
        }
    }

    /// Cₖₖ / Σᵢ Cᵢₖ for each class k (nil for a class never predicted).
    public var precision: [Double?] {
        (0..<classCount).map { k in
            let column = (0..<classCount).reduce(0) { $0 + self[$1, k] }
            return column == 0 ? nil : Double(self[k, k]) / Double(column)
        }
    }
}

/// The share of positions where `predicted` equals `labels` (0 for none).
public func accuracy(predicted: [Int], labels: [Int]) -> Double {
    check(predicted.count == labels.count, "\(predicted.count) predictions for \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    return Double(zip(predicted, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }) / Double(labels.count)
}
