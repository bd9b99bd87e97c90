// CacheSize: the L2 cache of the core we run on, which sizes GEMM's packed block of A.
//
// Read once, at the first product. The block size never changes a bit of a result (it splits
// rows, not the k sum), so a machine that reports nothing, or something odd, only runs slower.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

enum CacheSize {
    /// Bytes of level-2 cache per core (the cluster's L2 on Apple silicon's performance cores),
    /// or nil where the system does not say.
    static let level2Bytes: Int? = queryLevel2Bytes()
}

private func queryLevel2Bytes() -> Int? {
#if os(Linux)
    // glibc answers from CPUID; under some hypervisors it says 0, and sysfs still knows.
    let reported = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
    if reported > 0 { return reported }
    return sysfsLevel2Bytes()
#elseif canImport(Darwin)
    for name in ["hw.perflevel0.l2cachesize", "hw.l2cachesize"] {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        if sysctlbyname(name, &value, &size, nil, 0) == 0, value > 0 { return Int(value) }
    }
    return nil
#else
    return nil
#endif
}

#if os(Linux)
/// The first level-2 data or unified cache listed for cpu0, e.g. "512K" → 524288.
func sysfsLevel2Bytes() -> Int? {
    let directory = "/sys/devices/system/cpu/cpu0/cache"
    func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    for index in 0..<16 {
        let entry = "\(directory)/index\(index)"
        guard let level = read("\(entry)/level") else { break }
        guard level == "2", read("\(entry)/type") != "Instruction", let size = read("\(entry)/size") else { continue }
        return parseCacheSize(size)
    }
    return nil
}
#endif

/// Parses sysfs's cache sizes: a count of bytes with an optional K, M or G suffix (binary units).
func parseCacheSize(_ text: String) -> Int? {
    let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
    var digits = Substring(text)
    var multiplier = 1
    if let last = digits.last, let unit = units[last] {
        multiplier = unit
        digits = digits.dropLast()
    }
    guard let count = Int(digits), count > 0 else { return nil }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier)
    return overflow ? nil : bytes
}
