import Foundation
@testable import NoisyOptim
@testable import NoisyOptimCLI

/// The demo's bundled data, found from this file's path (tests do not get the executable's bundle).
let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Sources/noisyoptim-demo/Resources").standardized

/// What a run of the tool printed and returned.
struct ToolRun {
    var code: Int32
    var output: String
    var errors: [String]
}

/// Runs noisyoptim-demo in-process with captured output and no progress.
func runTool(_ arguments: [String]) -> ToolRun {
    var output = "", errors: [String] = []
    let tool = CommandLineTool(resources: resources, output: { output += $0 + "\n" }, errorOutput: { errors.append($0) })
    let code = tool.run(arguments)
    return ToolRun(code: code, output: output, errors: errors)
}

/// A fresh directory for a test's files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `bytes` as a gzip member with one stored block (RFC 1951 §3.2.4), for tests of .gz input.
func storedGzip(_ bytes: [UInt8]) -> [UInt8] {
    precondition(bytes.count < 65_536)
    let length = UInt16(bytes.count)
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF, 1]
    out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
    out += bytes
    let crc = CRC32.checksum(bytes), size = UInt32(bytes.count)
    for word in [crc, size] { out += (0..<4).map { UInt8((word >> (8 * $0)) & 0xFF) } }
    return out
}

/// A small classification table: 60 rows of 2 features, label = (x₀ + x₁ > 0), as CSV text.
func twoFeatureCSV() -> String {
    var generator = Philox4x32(seed: 12)
    return (0..<60).map { _ in
        let a = generator.nextNormal(), b = generator.nextNormal()
        return "\(a),\(b),\(a + b > 0 ? 1 : 0)"
    }.joined(separator: "\n") + "\n"
}
