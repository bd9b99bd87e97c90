import Foundation
import Testing
@testable import NoisyOptimCLI

/// A missing or malformed data file: exit code 1 and one line with the file, line and column.
@Suite struct InputFileTests {
    static func expectFailure(_ arguments: [String], _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let run = runTool(arguments)
        #expect(run.code == 1, sourceLocation: sourceLocation)
        #expect(run.errors.count == 1, "\(run.errors)", sourceLocation: sourceLocation)
        let message = run.errors.first ?? ""
        for fragment in fragments {
            #expect(message.contains(fragment), "'\(fragment)' missing from: \(message)", sourceLocation: sourceLocation)
        }
    }

    @Test func missingFile() {
        Self.expectFailure(["--data", "/nonexistent.csv"], ["/nonexistent.csv", "no such file"])
    }

    @Test func malformedFilesNameLineAndColumn() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let word = directory.appendingPathComponent("word.csv")
        try "1,2,3\n4,x,6\n".write(to: word, atomically: true, encoding: .utf8)
        Self.expectFailure(["--data", word.path], [word.path, "line 2, column 2", "'x' is not a number"])

        let ragged = directory.appendingPathComponent("ragged.csv")
        try "1,2,3\n4,5,6\n7,8\n".write(to: ragged, atomically: true, encoding: .utf8)
        Self.expectFailure(["--data", ragged.path], [ragged.path, "line 3, column 3", "2 fields"])

        let label = directory.appendingPathComponent("label.csv")
        try "1,2,0\n4,5,1\n7,8,5\n".write(to: label, atomically: true, encoding: .utf8)
        Self.expectFailure(["--data", label.path, "--classes", "2"], [label.path, "line 3, column 3", "class label 5"])

        let empty = directory.appendingPathComponent("empty.csv")
        try "\n\n".write(to: empty, atomically: true, encoding: .utf8)
        Self.expectFailure(["--data", empty.path], [empty.path, "no rows"])
    }

    @Test func truncatedGzipIsAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cut.csv.gz")
        let whole = storedGzip(Array(twoFeatureCSV().utf8))
        try Data(whole.prefix(whole.count - 20)).write(to: file)
        Self.expectFailure(["--data", file.path], [file.path, "truncated"])
    }
}
