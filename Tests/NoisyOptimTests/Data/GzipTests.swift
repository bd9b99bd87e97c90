import Foundation
import Testing
@testable import NoisyOptim

/// Inflate against streams zlib 1.2.13 wrote (Python's `zlib.compressobj(level, DEFLATED, 31, 9,
/// strategy)`): one of each block type, the gzip header's optional name field, several members,
/// and damaged streams, which must throw, never trap or return garbage.
@Suite struct GzipTests {
    /// The text the three small fixtures compress: a header pair of rows, then 40 rows i, i² mod 97, 7i mod 13.
    static let text: String = "1,2,3\n4,5,6\n" + (0..<40).map { "\($0),\($0 * $0 % 97),\($0 * 7 % 13)\n" }.joined()

    static let stored = "H4sIAAAAAAAEAwFEAbv+MSwyLDMKNCw1LDYKMCwwLDAKMSwxLDcKMiw0LDEKMyw5LDgKNCwxNiwyCjUsMjUsOQo2LDM2LDMKNyw0OSwxMAo4LDY0LDQKOSw4MSwxMQoxMCwzLDUKMTEsMjQsMTIKMTIsNDcsNgoxMyw3MiwwCjE0LDIsNwoxNSwzMSwxCjE2LDYyLDgKMTcsOTUsMgoxOCwzMyw5CjE5LDcwLDMKMjAsMTIsMTAKMjEsNTMsNAoyMiw5NiwxMQoyMyw0NCw1CjI0LDkxLDEyCjI1LDQzLDYKMjYsOTQsMAoyNyw1MCw3CjI4LDgsMQoyOSw2NSw4CjMwLDI3LDIKMzEsODgsOQozMiw1NCwzCjMzLDIyLDEwCjM0LDg5LDQKMzUsNjEsMTEKMzYsMzUsNQozNywxMSwxMgozOCw4Niw2CjM5LDY2LDAKFeees0QBAAA="
    static let fixed = "H4sIAAAAAAACAzPUMdIx5jLRMdUx4zLQAUIuQx1DHXMuIx0THUMuYx1LHQugrKGZjhGXqY6RqY4ll5mOMRBxmeuYWOoYGnBZ6JiZ6JhwAdUBNRpyGRroGOuYchka6hgBtRlxGQINMgeabWisY24EMt0EaKE5l6GpjjFQPRfQYDMjoBWG5jqWQPO5DC10jIGWchla6pgDTeIyMgAaArLGyFDH1Bhoj5GRjqUZyCIjIA/obC6gNZaGIJuAjjMxBtpkZKZjaQK0ychcx9QA5BMLHQugTUaWOmamQJuMDXSAMkZcQOstLIA2GRvpmJoAbQJaawS2ydhEx8ISaJMxMEjAXgJ51xRok7E5kAeyyRhoItDdXMZAI82ANgEAFeees0QBAAA="
    static let dynamic = "H4sIAAAAAAACAx3QwREAIQgDwH9qyUMCqPTf2MUb/ThoFgyKiWJzY9ELweCBWAwkh9fV2BSaag420xuHNYyFy10s+J4fBmIx2Yig/EwIBx1nR/LopZfBg2im78PBWybicJyPuEyjiOFxErQc8hgFO+1InP0g+eS2YWbiSW6u0pI2pyzpsNeb5PJa0nC3pVx0RTB/r6UUuyyZ1S9l8Y6l9Jf8I71x21Ien56UTnTfSEduSx8V556zRAEAAA=="
    /// /work/shared/data/diabetes_target.csv.gz: written by gzip with the file name in the header
    /// (FNAME), 442 rows of one value each.
    static let diabetesTarget = "H4sICGPy+EwC/3kuY3N2AJWaS27tMAxD593KAwLrZ1kL6v630IwfcgywUyN1IlEURV17ytZ/f7//lv/0U+vjwH7sye8n/Fn788CeqM+DeZruiPP5xH6CnrD1+UTQgT3L4I6hO3rgX52CAztw0AYHm4KYqQZxUxDP9xNJX45P+JP05ScJJU4o6c+Dw0gMQuIJuMO/M1j05UFoPxT2za8LX+7PLjjoDQflAIaFly/48qLvsO+DeZzAUBRdrNqh4kyXaYlwVRRdLw0MbxCT0E6X+4E7nACH5dwUKzjADCKX4FvhdzTfsakGa8lEhl/+/VbJfAWxutCSmUZLyUHky5dW5+9bUXQzILWQqOJyNsKVKg3qQuEJGcQgQj6Gcv7CJzWUzDfg7Eav2zW0O4kJpNfDLOqkMgDUwWifA29VBJ8QU4vs4084lJqJhIwU/goWaqnTVIOH+sdQaqnjHFJ9PSozLOREYoazILqJuEKRSjXInZOks1GsNoW9CVeFZUDKErG7gi53rRs4hT2e2CpKYJp4ZxzCLkxem4msqThrtCaMtIT0+j6BITkQdmz046pgAQJ4CwdVODF1io3lvbw06eyUcyOIXsYlE1m0CT7+3bwu5WwkcZLkYFN0nYKIo76R+/EiESuqtWni0rzwcuCrzUwdR3MmcOa8xCpak5woB5u787hGMsPRtQ35YPYhyuCpaLTx9SIgi7gdW+oQLTn5DN1q28Y7ljhtN093QyhZRAAh+1fYnTc1+iT5gSGx1Gqwef5A0i9xzMCwvxk8aqIWkcxeavNyUq8lyo/hVpTkpHoCvWLHYceLusF2bTYwKk4ULMmJOsTULiIRXYPLVASCPlhTQ/+4cHvJZn8FPAEowU3DIZIpQuKFwhe9FZaa4XqAUpsEH/RkeCRLzQu/tAlvzUl1EhObzRrUibAeuOgrtO5xPt+088K3CsIuzoNFrShCG/veqh1I7RJXQkEuDrbUwyFRlxaHD3DBY6K4O9zVulTDdIhF0Ryo0LpaMqhxUEQlgzsWtHfO0kzAy94gW9sbXFQGrp3wOwYHRUJ7EDOkWB/vAb6VPOpHawoAl/fOGRz0RSns0FhQeKGREvQjhGElY6lZ3k5N2Bm76JFZqP5ujHZwOLUpu2og1VCk3qaJ0SxWbF7F/cNNGxqCtksXU/bQjsVpGYbRxaFhiY3emamdILpbE8JomN52wlQGSWSJLqebZnnjT1WSceXi2sl4g3VIRo2oyC7DKDp3RjIKObFlMBj92Ag/sENbuOUFiUfttYFGI+n2EEF9WQNOaCRzcSATh4bRpgln7YNadJvW1VCX3NZOrY4AOPByENHSc413b3a0afsPI/WKNhW6H8MjAE7CaJJ3aBC9mLKYKBQsKKNUQsbZoCi6fw99Ha0qKwAA"

    static func bytes(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64)!) }

    @Test(arguments: [("stored", stored), ("fixed Huffman", fixed), ("dynamic Huffman", dynamic)])
    func eachBlockTypeInflates(name: String, base64: String) throws {
        let output = try Gzip.decompress(Self.bytes(base64))
        #expect(String(decoding: output, as: UTF8.self) == Self.text, "\(name)")
    }

    @Test func fixturesCoverTheThreeBlockTypes() {
        // BTYPE sits in bits 1–2 of the first byte after the 10-byte header (no optional fields).
        #expect([Self.stored, Self.fixed, Self.dynamic].map { (Self.bytes($0)[10] >> 1) & 3 } == [0, 1, 2])
    }

    @Test func headerWithFileNameAndARealFile() throws {
        let bytes = Self.bytes(Self.diabetesTarget)
        #expect(bytes[3] & 0x08 != 0) // FNAME is set
        let text = String(decoding: try Gzip.decompress(bytes), as: UTF8.self)
        let table = try NumericTable(parsing: text)
        #expect(table.values.shape == [442, 1])
        #expect(table.values.scalars.first == 151 && table.values.scalars.last == 57)
    }

    @Test func membersConcatenate() throws {
        let output = try Gzip.decompress(Self.bytes(Self.fixed) + Self.bytes(Self.stored))
        #expect(String(decoding: output, as: UTF8.self) == Self.text + Self.text)
    }

    /// Every proper prefix of a stream is truncated: the error says so, whichever field it cuts.
    @Test(arguments: [("stored", stored), ("fixed Huffman", fixed), ("dynamic Huffman", dynamic)])
    func everyTruncationIsReported(name: String, base64: String) {
        let bytes = Self.bytes(base64)
        for length in 0..<bytes.count {
            #expect(throws: GzipError.truncated, "\(name) cut to \(length) bytes") {
                _ = try Gzip.decompress(Array(bytes[..<length]))
            }
        }
    }

    @Test func corruptTrailerIsReported() {
        var bytes = Self.bytes(Self.dynamic)
        bytes[bytes.count - 8] ^= 0x01 // the CRC-32's low byte
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(bytes) }
        var length = Self.bytes(Self.stored)
        length[length.count - 1] ^= 0x01 // ISIZE's high byte
        #expect(throws: GzipError.self) { _ = try Gzip.decompress(length) }
    }

    @Test func notGzipIsMalformed() {
        let error = #expect(throws: GzipError.self) { _ = try Gzip.decompress(Array("1,2,3\n4,5,6\n".utf8)) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("1f 8b"))
    }

    @Test func crcKnownAnswer() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926) // the CRC-32 check value
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func tableFileIsInflatedWhateverItsName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("noisyoptim-gzip-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("table.csv.gz")
        try Data(Self.bytes(Self.dynamic)).write(to: file)
        let table = try NumericTable(contentsOf: file)
        #expect(table.values.shape == [42, 3])
        #expect(Array(table.values.scalars.suffix(3)) == [39, Float(39 * 39 % 97), Float(39 * 7 % 13)])

        let cut = directory.appendingPathComponent("cut.csv.gz")
        try Data(Self.bytes(Self.dynamic).prefix(100)).write(to: cut)
        let error = #expect(throws: DataError.self) { _ = try NumericTable(contentsOf: cut) }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.contains("cut.csv.gz") && message.contains("truncated"), "\(message)")
    }
}
