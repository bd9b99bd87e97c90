// Dataset: examples as rows of a feature matrix with a target per row, and what is done to them
// before training: splitting, standardizing, drawing mini-batches.

/// n examples: an n×d feature matrix and a target per example.
///
/// For classification the targets are class labels 0..<classCount stored as Floats (see
/// `labels`); for regression they are the values to fit.
public struct Dataset: Sendable {
    /// The n×d feature matrix, one example per row.
    public var features: Tensor
    /// The n targets.
    public var targets: Tensor
    /// The number of classes for a classification data set, nil for regression.
    public var classCount: Int?

    /// A data set from features and targets of matching length. Every value must be finite and
    /// class labels integers in 0..<classCount.
    ///
    /// - Throws: `DataError.invalid` naming the example (row, counted from 0) and the value.
    public init(features: Tensor, targets: Tensor, classCount: Int? = nil) throws {
        guard features.rank == 2 else { throw DataError.invalid("features must be a matrix, shape is \(features.shape)") }
        guard targets.shape == [features.shape[0]] else {
            throw DataError.invalid("features of shape \(features.shape) need \(features.shape[0]) targets, got shape \(targets.shape)")
        }
        let width = features.shape[1]
        if let bad = features.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
            throw DataError.invalid("feature \(bad % width) of example \(bad / width) is \(features.scalars[bad]); a data set needs finite values")
        }
        let labels = targets.scalars
        if let bad = labels.firstIndex(where: { !$0.isFinite }) {
            throw DataError.invalid("the target of example \(bad) is \(labels[bad]); a data set needs finite values")
        }
        if let classCount {
            guard classCount >= 1 else { throw DataError.invalid("classCount must be at least 1, got \(classCount)") }
            if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= Float(classCount) || $0 != $0.rounded() }) {
                throw DataError.invalid("class label \(labels[bad]) of example \(bad) is not an integer in 0..<\(classCount)")
            }
        }
        self.features = features
        self.targets = targets
        self.classCount = classCount
    }

    /// A data set from a table whose column `targetColumn` (negative counts from the end) holds
    /// the targets and whose other columns are the features.
    public init(table: NumericTable, targetColumn: Int = -1, classCount: Int? = nil) throws {
        let values = table.values
        let width = values.shape[1]
        let column = targetColumn < 0 ? targetColumn + width : targetColumn
        guard column >= 0 && column < width, width >= 2 else {
            throw DataError.invalid("target column \(targetColumn) is not one of the \(width) columns (and at least one feature is needed)")
        }
        let rows = values.shape[0]
        var features = [Float]()
        features.reserveCapacity(rows * (width - 1))
        var targets = [Float]()
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                for c in 0..<width {
                    if c == column { targets.append(v[r * width + c]) } else { features.append(v[r * width + c]) }
                }
            }
        }
        try self.init(features: Tensor(shape: [rows, width - 1], scalars: features), targets: Tensor(targets), classCount: classCount)
    }

    /// n, the number of examples.
    public var count: Int { features.shape[0] }

    /// d, the number of features.
    public var featureCount: Int { features.shape[1] }

    /// The targets as integer class labels.
    public var labels: [Int] { targets.scalars.map { Int($0) } }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        // Rows of a valid data set stay valid, so no re-check.
        var result = self
        result.features = features.gatheringRows(indices)
        result.targets = targets.gatheringRows(indices)
        return result
    }

    /// A seeded random split into a training part holding `trainingFraction` of the examples and
    /// a test part holding the rest.
    public func split<G: RandomNumberGenerator>(trainingFraction: Double, using generator: inout G) -> (training: Dataset, test: Dataset) {
        check(trainingFraction >= 0 && trainingFraction <= 1, "trainingFraction must be in [0, 1], got \(trainingFraction)")
        let order = Array(0..<count).shuffled(using: &generator)
        let cut = Int((Double(count) * trainingFraction).rounded())
        return (subset(Array(order[..<cut])), subset(Array(order[cut...])))
    }
}

/// Per-feature affine standardization x ↦ (x − μ)/s, fitted on training data and applied to any
/// data with the same features. Constant features get s = 1, so they become 0 instead of NaN.
public struct Standardizer: Codable, Sendable {
    /// μ, the mean of each feature.
    public let mean: Tensor
    /// s, the population standard deviation of each feature (1 where it is 0).
    public let scale: Tensor

    private enum CodingKeys: String, CodingKey { case mean, scale }

    /// Decodes μ and s, checking what fitting guarantees: two vectors of one length, μ finite and
    /// s finite and > 0. Otherwise `DecodingError.dataCorrupted` naming the value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let mean = try container.decode(Tensor.self, forKey: .mean)
        let scale = try container.decode(Tensor.self, forKey: .scale)
        guard mean.rank == 1, scale.shape == mean.shape else {
            throw DecodingError.dataCorruptedError(forKey: .scale, in: container,
                debugDescription: "mean and scale must be vectors of one length, shapes are \(mean.shape) and \(scale.shape)")
        }
        if let bad = mean.scalars.firstIndex(where: { !$0.isFinite }) {
            throw DecodingError.dataCorruptedError(forKey: .mean, in: container,
                debugDescription: "mean of feature \(bad) is \(mean.scalars[bad]); it must be finite")
        }
        if let bad = scale.scalars.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw DecodingError.dataCorruptedError(forKey: .scale, in: container,
                debugDescription: "scale of feature \(bad) is \(scale.scalars[bad]); it must be finite and > 0")
        }
        self.mean = mean
        self.scale = scale
    }

    /// Fits μ and s to the rows of `features`.
    public init(fitting features: Tensor) {
        check(features.rank == 2 && features.shape[0] > 0, "fitting needs a non-empty matrix, shape is \(features.shape)")
        let mean = features.mean(alongAxis: 0)
        let variance = square(features - mean).mean(alongAxis: 0)
        self.mean = mean
        self.scale = Tensor(sqrt(variance).scalars.map { $0 > 0 ? $0 : 1 })
    }

    /// (x − μ)/s row by row.
    public func apply(_ features: Tensor) -> Tensor {
        check(features.rank == 2 && features.shape[1] == mean.count,
                     "standardizer fitted on \(mean.count) features, got shape \(features.shape)")
        return (features - mean) / scale
    }
}

/// The mini-batches of one epoch: a seeded permutation of 0..<n cut into batches of `batchSize`
/// (the last one shorter unless `dropLast`).
public struct MiniBatches: Sequence {
    /// The permutation of the epoch.
    public let order: [Int]
    /// The number of examples per batch.
    public let batchSize: Int
    /// Whether a final short batch is left out.
    public let dropLast: Bool

    /// Shuffles 0..<exampleCount with `generator` and cuts it into batches.
    public init<G: RandomNumberGenerator>(exampleCount: Int, batchSize: Int, dropLast: Bool = false, using generator: inout G) {
        check(batchSize > 0, "batchSize must be positive, got \(batchSize)")
        check(exampleCount >= 0, "exampleCount must be non-negative, got \(exampleCount)")
        order = Array(0..<exampleCount).shuffled(using: &generator)
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// The batches as arrays of example indices.
    public func makeIterator() -> AnyIterator<[Int]> {
        var start = 0
        return AnyIterator {
            guard start < order.count else { return nil }
            let end = Swift.min(start + batchSize, order.count)
            if dropLast && end - start < batchSize { return nil }
            defer { start = end }
            return Array(order[start..<end])
        }
    }
}
