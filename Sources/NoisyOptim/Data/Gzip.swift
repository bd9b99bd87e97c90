// Gzip: a small inflate (RFC 1951) inside a gzip member reader (RFC 1952), because Foundation on
// Linux has no gzip decoder to rely on and data sets ship as .csv.gz.

/// Why gzip data could not be decompressed.
public enum GzipError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The data ends before the stream does (a truncated download or copy).
    case truncated
    /// The stream breaks the format at byte `offset` of the compressed data.
    case malformed(offset: Int, reason: String)
    /// The decompressed data does not match the CRC-32 or length stored in the trailer.
    case checksumMismatch(expected: UInt32, found: UInt32)

    public var description: String {
        switch self {
        case .truncated:
            "the gzip data is truncated: it ends before the end of the compressed stream"
        case let .malformed(offset, reason):
            "the gzip data is malformed at byte \(offset): \(reason)"
        case let .checksumMismatch(expected, found):
            "the gzip data is corrupt: its trailer says \(String(expected, radix: 16)), the data gives \(String(found, radix: 16))"
        }
    }
}

/// Gzip decompression.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number 1f 8b.
    public static func isGzip<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1F && iterator.next() == 0x8B
    }

    /// The decompressed contents of a gzip file: every member, concatenated (as `gzip -d` does),
    /// each checked against its CRC-32 and length.
    ///
    /// - Throws: `GzipError` saying where the data is truncated, malformed or corrupt.
    public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        repeat {
            offset = try decompressMember(bytes, at: offset, appendingTo: &output)
        } while offset < bytes.count && isGzip(bytes[offset...])
        return output
    }

    /// The raw DEFLATE stream `bytes` (RFC 1951) decompressed; bytes after its final block are ignored.
    public static func inflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var reader = BitReader(bytes, at: 0)
        try Inflater.run(&reader, into: &output)
        return output
    }

    /// One member (RFC 1952 §2.3): header, DEFLATE stream, CRC-32 and ISIZE. Returns the offset
    /// after the member.
    static func decompressMember(_ bytes: [UInt8], at start: Int, appendingTo output: inout [UInt8]) throws -> Int {
        guard bytes.count - start >= 10 else { throw GzipError.truncated }
        guard bytes[start] == 0x1F, bytes[start + 1] == 0x8B else {
            throw GzipError.malformed(offset: start, reason: "not gzip data (no 1f 8b magic number)")
        }
        guard bytes[start + 2] == 8 else {
            throw GzipError.malformed(offset: start + 2, reason: "compression method \(bytes[start + 2]), only 8 (deflate) exists")
        }
        let flags = bytes[start + 3]
        guard flags & 0xE0 == 0 else { throw GzipError.malformed(offset: start + 3, reason: "reserved header flags set") }
        var offset = start + 10
        if flags & 0x04 != 0 { // FEXTRA: a two-byte length, then that many bytes
            guard offset + 2 <= bytes.count else { throw GzipError.truncated }
            offset += 2 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 { // FNAME, FCOMMENT: zero-terminated
            while offset < bytes.count && bytes[offset] != 0 { offset += 1 }
            offset += 1
        }
        if flags & 0x02 != 0 { offset += 2 } // FHCRC
        guard offset <= bytes.count else { throw GzipError.truncated }

        let first = output.count
        var reader = BitReader(bytes, at: offset)
        try Inflater.run(&reader, into: &output)
        offset = reader.byteOffsetAfterAlignment
        guard offset + 8 <= bytes.count else { throw GzipError.truncated }
        func word(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let crc = CRC32.checksum(output[first...])
        guard crc == word(offset) else { throw GzipError.checksumMismatch(expected: word(offset), found: crc) }
        let size = UInt32(truncatingIfNeeded: output.count - first)
        guard size == word(offset + 4) else { throw GzipError.checksumMismatch(expected: word(offset + 4), found: size) }
        return offset + 8
    }
}

// MARK: - CRC-32

/// CRC-32 with the reflected polynomial 0xEDB88320 (ISO 3309, as gzip uses), table-driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

// MARK: - Inflate

/// Reads bits least significant first, as DEFLATE packs them.
struct BitReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private var buffer: UInt64 = 0
    private var bufferedBits = 0

    init(_ bytes: [UInt8], at offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// The offset of the first byte not (even partly) consumed.
    var byteOffsetAfterAlignment: Int { offset - bufferedBits / 8 }

    /// The next `count` bits (≤ 32), first bit in the lowest position.
    mutating func bits(_ count: Int) throws -> Int {
        while bufferedBits < count {
            guard offset < bytes.count else { throw GzipError.truncated }
            buffer |= UInt64(bytes[offset]) << UInt64(bufferedBits)
            offset += 1
            bufferedBits += 8
        }
        let value = Int(buffer & ((1 << UInt64(count)) - 1))
        buffer >>= UInt64(count)
        bufferedBits -= count
        return value
    }

    /// Drops the bits up to the next byte boundary (before a stored block).
    mutating func alignToByte() {
        let drop = bufferedBits % 8
        buffer >>= UInt64(drop)
        bufferedBits -= drop
    }

    /// The next whole byte, after `alignToByte()`.
    mutating func byte() throws -> UInt8 { UInt8(try bits(8)) }

    /// Where in the input the reader is, for error messages.
    var position: Int { byteOffsetAfterAlignment }
}

/// A canonical Huffman code (RFC 1951 §3.2.2) decoded by counting: per length, the first code
/// and where its symbols start in the sorted symbol list (as zlib's `puff` does).
struct Huffman {
    private var counts = [Int](repeating: 0, count: 16)
    private var symbols: [Int]

    /// The code with code length `lengths[s]` for symbol s (0: unused).
    init(lengths: [Int], at position: Int) throws {
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1..<16 {
            left = left * 2 - counts[length]
            guard left >= 0 else { throw GzipError.malformed(offset: position, reason: "an over-subscribed Huffman code") }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[length]] = symbol
            offsets[length] += 1
        }
    }

    /// The next symbol: codes are read bit by bit, most significant code bit first.
    func decode(_ reader: inout BitReader) throws -> Int {
        var code = 0, first = 0, index = 0
        for length in 1..<16 {
            code |= try reader.bits(1)
            let count = counts[length]
            if code - first < count { return symbols[index + code - first] }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw GzipError.malformed(offset: reader.position, reason: "a code that is not in the Huffman table")
    }
}

enum Inflater {
    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                             131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// The order in which a dynamic block lists the code-length code's lengths.
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    static let fixedCodes: (literals: Huffman, distances: Huffman) = {
        let literals = [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112)
            + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8)
        return (try! Huffman(lengths: literals, at: 0), try! Huffman(lengths: [Int](repeating: 5, count: 30), at: 0))
    }()

    /// Inflates blocks until the one marked final.
    static func run(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        var final = false
        while !final {
            final = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0: try storedBlock(&reader, into: &output)
            case 1: try codedBlock(&reader, fixedCodes.literals, fixedCodes.distances, into: &output)
            case 2:
                let (literals, distances) = try dynamicCodes(&reader)
                try codedBlock(&reader, literals, distances, into: &output)
            default: throw GzipError.malformed(offset: reader.position, reason: "block type 3 does not exist")
            }
        }
    }

    static func storedBlock(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        reader.alignToByte()
        let length = try reader.bits(16), complement = try reader.bits(16)
        guard length == ~complement & 0xFFFF else {
            throw GzipError.malformed(offset: reader.position, reason: "a stored block's length and its complement disagree")
        }
        output.reserveCapacity(output.count + length)
        for _ in 0..<length { output.append(try reader.byte()) }
    }

    static func dynamicCodes(_ reader: inout BitReader) throws -> (Huffman, Huffman) {
        let literalCount = try reader.bits(5) + 257, distanceCount = try reader.bits(5) + 1
        let codeLengthCount = try reader.bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else {
            throw GzipError.malformed(offset: reader.position, reason: "too many literal/length or distance codes")
        }
        var codeLengthLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[i]] = try reader.bits(3) }
        let codeLengths = try Huffman(lengths: codeLengthLengths, at: reader.position)
        var lengths: [Int] = []
        lengths.reserveCapacity(literalCount + distanceCount)
        while lengths.count < literalCount + distanceCount {
            let symbol = try codeLengths.decode(&reader)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else {
                    throw GzipError.malformed(offset: reader.position, reason: "a repeat with no length before it")
                }
                lengths += [Int](repeating: previous, count: 3 + (try reader.bits(2)))
            case 17: lengths += [Int](repeating: 0, count: 3 + (try reader.bits(3)))
            default: lengths += [Int](repeating: 0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount else {
            throw GzipError.malformed(offset: reader.position, reason: "code lengths run past their count")
        }
        guard lengths[256] != 0 else { throw GzipError.malformed(offset: reader.position, reason: "no end-of-block code") }
        return (try Huffman(lengths: Array(lengths[..<literalCount]), at: reader.position),
                try Huffman(lengths: Array(lengths[literalCount...]), at: reader.position))
    }

    static func codedBlock(_ reader: inout BitReader, _ literals: Huffman, _ distances: Huffman,
                           into output: inout [UInt8]) throws {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < 29 else { throw GzipError.malformed(offset: reader.position, reason: "length code \(symbol)") }
                let length = lengthBase[index] + (try reader.bits(lengthExtra[index]))
                let code = try distances.decode(&reader)
                guard code < 30 else { throw GzipError.malformed(offset: reader.position, reason: "distance code \(code)") }
                let distance = distanceBase[code] + (try reader.bits(distanceExtra[code]))
                guard distance <= output.count else {
                    throw GzipError.malformed(offset: reader.position, reason: "a distance of \(distance) before the start of the data")
                }
                // Byte by byte: a copy may overlap the bytes it writes (distance < length).
                var from = output.count - distance
                for _ in 0..<length {
                    output.append(output[from])
                    from += 1
                }
            }
        }
    }
}
