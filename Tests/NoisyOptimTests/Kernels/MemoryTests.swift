import Foundation
import Testing
@testable import NoisyOptim

/// The flags of the mapping that holds `address`, from /proc/self/smaps ("VmFlags: rd wr mr … hg"),
/// or nil where there is no such file.
private func mappingFlags(containing address: UInt) -> [String]? {
    // Read to the end: /proc reports a size of 0, and `String(contentsOfFile:)` stops after one page.
    guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return nil }
    defer { try? handle.close() }
    let smaps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    var inside = false
    for line in smaps.split(separator: "\n") {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
            let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
            inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
        } else if inside, fields.first == "VmFlags:" {
            return fields.dropFirst().map(String.init)
        }
    }
    return nil
}

/// Whether this kernel has transparent huge pages at all (built with them; `never` still keeps the advice).
private let kernelHasHugePages = FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")

@Suite struct MemoryTests {
    @Test func smallBuffersAreCacheLineAligned() {
        for count in [0, 1, 7, 16, 1000, (Memory.hugePageThreshold / 4) - 1] {
            let pointer = Memory.allocateFloats(count)
            defer { pointer.deallocate() }
            #expect(Int(bitPattern: pointer) % Memory.alignment == 0, "\(count) floats")
            // Every scalar (at least one) is writable and reads back.
            for i in 0..<max(count, 1) { pointer[i] = Float(i) }
            #expect(pointer[max(count, 1) - 1] == Float(max(count, 1) - 1))
        }
    }

    /// On Linux (glibc) a buffer of at least `hugePageThreshold` bytes starts on a 2 MiB boundary and its
    /// mapping carries the kernel's huge-page advice (`hg` in smaps' VmFlags); elsewhere it is only
    /// cache-line aligned. The scalars are plain memory either way.
    @Test func largeBuffersAskForHugePages() throws {
        let count = Memory.hugePageThreshold / 4 + 3
        let pointer = Memory.allocateFloats(count)
        defer { pointer.deallocate() }
        for i in stride(from: 0, to: count, by: 4099) { pointer[i] = Float(i) }
        pointer[count - 1] = -1
        #expect(pointer[4099 * 7] == Float(4099 * 7) && pointer[count - 1] == -1)
        #if canImport(Glibc)
        #expect(Int(bitPattern: pointer) % Memory.hugePageBytes == 0)
        if kernelHasHugePages {
            let flags = try #require(mappingFlags(containing: UInt(bitPattern: Int(bitPattern: pointer))))
            #expect(flags.contains("hg"), "VmFlags \(flags)")
        }
        #else
        #expect(Int(bitPattern: pointer) % Memory.alignment == 0)
        #endif
    }

    /// Tensors and tapes get their memory here: a 10M-parameter tensor's storage is advised too.
    @Test func largeTensorsUseTheLargeBufferPath() throws {
        let tensor = Tensor(shape: [Memory.hugePageThreshold / 4], repeating: 2)
        let address = tensor.withUnsafeBufferPointer { UInt(bitPattern: Int(bitPattern: $0.baseAddress!)) }
        #expect(tensor.scalars.allSatisfy { $0 == 2 })
        #if canImport(Glibc)
        #expect(address % UInt(Memory.hugePageBytes) == 0)
        if kernelHasHugePages {
            let flags = try #require(mappingFlags(containing: address))
            #expect(flags.contains("hg"), "VmFlags \(flags)")
        }
        #endif
    }
}
