// BuildAdvice: which kernel set this build runs and, when the CPU has a faster one, the command
// that builds it (the bench and the demo print it once).

#if canImport(Darwin)
import Darwin
#endif
import Foundation

/// The kernel sets a build can select, slowest first.
package enum KernelSet: Int, Comparable, CustomStringConvertible {
    /// Baseline target, mul + add kernels.
    case baseline
    /// The `FMA` trait with an AVX2 + FMA target (x86-64-v3).
    case fma
    /// The `AVX512` trait with an AVX-512 target (x86-64-v4).
    case avx512

    /// The set this build compiled.
    package static var compiled: KernelSet {
#if NOISYOPTIM_AVX512
        .avx512
#elseif NOISYOPTIM_FMA
        .fma
#else
        .baseline
#endif
    }

    /// The fastest set this CPU can run, from /proc/cpuinfo on Linux or sysctl on macOS; nil off
    /// x86-64 (the traits are x86 kernels) or when the CPU cannot be queried.
    package static var bestForThisCPU: KernelSet? {
#if arch(x86_64)
        guard let flags = cpuFlags() else { return nil }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"]) { return .avx512 }
        if flags.isSuperset(of: ["avx2", "fma"]) { return .fma }
        return .baseline
#else
        return nil
#endif
    }

    package static func < (lhs: KernelSet, rhs: KernelSet) -> Bool { lhs.rawValue < rhs.rawValue }

    package var description: String {
        switch self {
        case .baseline: "default (mul + add)"
        case .fma: "FMA trait (fused, 8 wide)"
        case .avx512: "AVX512 trait (fused, 16 wide)"
        }
    }

    /// The SwiftPM options that build this set.
    package var buildOptions: String {
        switch self {
        case .baseline: ""
        case .fma: "--traits FMA -Xcc -march=x86-64-v3"
        case .avx512: "--traits AVX512 -Xcc -march=x86-64-v4"
        }
    }
}

/// CPU feature flags, lower-cased in /proc/cpuinfo's spelling (avx2, fma, avx512f, …).
private func cpuFlags() -> Set<String>? {
#if os(Linux)
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
          let colon = line.firstIndex(of: ":") else { return nil }
    return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
#elseif canImport(Darwin)
    func has(_ name: String) -> Bool {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        return sysctlbyname(name, &value, &size, nil, 0) == 0 && value != 0
    }
    var flags = Set<String>()
    for (sysctl, flag) in [("hw.optional.avx2_0", "avx2"), ("hw.optional.fma", "fma"),
                           ("hw.optional.avx512f", "avx512f"), ("hw.optional.avx512bw", "avx512bw"),
                           ("hw.optional.avx512dq", "avx512dq"), ("hw.optional.avx512vl", "avx512vl")] where has(sysctl) {
        flags.insert(flag)
    }
    return flags
#else
    return nil
#endif
}

/// One line for `product` (an executable of this package): the kernel set it runs and, if this
/// CPU supports a faster one, the exact command that builds and runs that.
///
///     kernels: default (mul + add); this CPU has AVX-512, for its kernels run:
///       swift run -c release --traits AVX512 -Xcc -march=x86-64-v4 noisyoptim-bench
package func kernelBuildAdvice(product: String) -> String {
    let compiled = KernelSet.compiled
    var text = "kernels: \(compiled)"
    if let best = KernelSet.bestForThisCPU, best > compiled {
        text += "; this CPU supports the \(best) kernels, for them run:\n  swift run -c release \(best.buildOptions) \(product)"
    }
    return text
}
