import Foundation
import Testing
@testable import NoisyOptim

/// The data files the demo bundles, found from this file's path in the checkout.
enum BundledData {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/noisyoptim-demo/Resources")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

@Suite struct CSVTests {
    @Test func parsesCommaAndWhitespaceSeparatedTables() throws {
        let comma = try NumericTable(parsing: "a,b\n1,2\n3, 4.5\n\n", skippingLines: 1)
        #expect(comma.values.shape == [2, 2])
        #expect(comma.values.scalars == [1, 2, 3, 4.5])
        let spaces = try NumericTable(parsing: "1  2\t3\n-4 5e-1 6\n", separator: nil)
        #expect(spaces.values.scalars == [1, 2, 3, -4, 0.5, 6])
    }

    @Test func malformedFilesSayWhere() {
        #expect(throws: DataError.notANumber(line: 2, column: 2, field: "x")) {
            try NumericTable(parsing: "1,2\n3,x\n")
        }
        #expect(throws: DataError.raggedRow(line: 3, expected: 2, found: 3)) {
            try NumericTable(parsing: "1,2\n3,4\n5,6,7\n")
        }
        #expect(throws: DataError.empty) { try NumericTable(parsing: "\n\n") }
        #expect(throws: DataError.notANumber(line: 1, column: 2, field: "")) { try NumericTable(parsing: "1,,2") }
        #expect(DataError.raggedRow(line: 3, expected: 2, found: 3).description == "line 3 has 3 fields, expected 2 like the first row")
        #expect(throws: DataError.self) { try NumericTable(contentsOf: URL(fileURLWithPath: "/nonexistent/file.csv")) }
    }

    @Test func datasetChecksLabelsAndLengths() throws {
        let table = try NumericTable(parsing: "0.5,1\n0.25,3\n")
        #expect(throws: DataError.self) { try Dataset(table: table, classCount: 3) }
        #expect(throws: DataError.self) { try Dataset(table: table, targetColumn: 5) }
        #expect(throws: DataError.self) { try Dataset(features: Tensor.zeros([2, 1]), targets: Tensor.zeros([3])) }
        let data = try Dataset(table: table, classCount: 4)
        #expect(data.labels == [1, 3])
        #expect(data.features.scalars == [0.5, 0.25])
    }
}

@Suite struct BundledDataTests {
    @Test func digitsLoadWithTheDocumentedShape() throws {
        let digits = try Dataset(table: NumericTable(contentsOf: BundledData.url("digits.csv")), classCount: 10)
        #expect(digits.count == 1797 && digits.featureCount == 64)
        #expect(digits.features.max() == 16)
        #expect(Set(digits.labels) == Set(0..<10))
    }

    @Test func diabetesAndBreastCancerLoad() throws {
        let x = try NumericTable(contentsOf: BundledData.url("diabetes_data_raw.csv"), separator: nil)
        let y = try NumericTable(contentsOf: BundledData.url("diabetes_target.csv"))
        #expect(x.values.shape == [442, 10] && y.values.shape == [442, 1])
        let cancer = try Dataset(table: NumericTable(contentsOf: BundledData.url("breast_cancer.csv"), skippingLines: 1), classCount: 2)
        #expect(cancer.count == 569 && cancer.featureCount == 30)
    }
}

@Suite struct DatasetTransformTests {
    @Test func standardizedColumnsHaveZeroMeanUnitVariance() {
        let x = Tensor([[1, 10, 5], [3, 30, 5], [5, 20, 5]])
        let s = Standardizer(fitting: x)
        let z = s.apply(x)
        // Three values per column: exact up to a few ULP.
        expectClose(z.mean(alongAxis: 0).scalars, [0, 0, 0], absoluteTolerance: 1e-6)
        expectClose(square(z).mean(alongAxis: 0).scalars, [1, 1, 0], absoluteTolerance: 1e-6)
    }

    @Test func miniBatchesCoverEveryExampleOncePerEpochAndRepeatBySeed() {
        var g1 = TestGenerator(seed: 9)
        var g2 = TestGenerator(seed: 9)
        let batches = Array(MiniBatches(exampleCount: 10, batchSize: 4, using: &g1))
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(Array(MiniBatches(exampleCount: 10, batchSize: 4, using: &g2)) == batches)
        var g3 = TestGenerator(seed: 9)
        #expect(Array(MiniBatches(exampleCount: 10, batchSize: 4, dropLast: true, using: &g3)).count == 2)
    }

    @Test func splitPartitionsTheExamples() throws {
        let data = try Dataset(features: Tensor(shape: [10, 1], scalars: (0..<10).map(Float.init)), targets: Tensor.zeros([10]))
        var g = TestGenerator(seed: 1)
        let (train, test) = data.split(trainingFraction: 0.7, using: &g)
        #expect(train.count == 7 && test.count == 3)
        #expect((train.features.scalars + test.features.scalars).sorted() == (0..<10).map(Float.init))
    }
}
