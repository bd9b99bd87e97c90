// PythonPeer: a reference script (Benchmarks/*.py --serve) that times named workloads on the
// other side of a pipe, one JSON line per request, for the `peer` and `privacy` groups.

import Foundation

/// A running `Benchmarks/<script> --threads N --serve`: its first line is a JSON header (the
/// versions it runs), then it answers each workload name with `{"seconds": …}`.
final class PythonPeer {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()
    /// The header's string fields, e.g. "torch" → "2.15.0+cpu".
    private(set) var header: [String: String] = [:]

    /// Starts the script with `threads` threads; nil, with the reason printed under `group`, if it
    /// cannot run or its header lacks `requiredFields`.
    init?(script name: String, threads: Int, group: String, requiredFields: [String], installHint: String) {
        // <root>/Sources/noisyoptim-bench/PythonPeer.swift → <root>/Benchmarks/<name>
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Benchmarks/\(name)")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, "--threads", String(threads), "--serve"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            print("\(group): could not start python3 (\(error)); skipping the comparison")
            return nil
        }
        guard let line = readLine(),
              let fields = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any],
              requiredFields.allSatisfy({ fields[$0] is String }) else {
            print("\(group): \(script.path) did not start (\(installHint)); skipping the comparison")
            process.terminate()
            return nil
        }
        header = fields.compactMapValues { $0 as? String }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// A version from the header without its build suffix ("2.15.0+cpu" → "2.15.0").
    func version(_ field: String) -> String { String((header[field] ?? "?").split(separator: "+")[0]) }

    /// The script's seconds per call of `workload`, or nil if it does not know it.
    func seconds(_ workload: String) -> Double? {
        struct Reply: Decodable { let seconds: Double? }
        input.fileHandleForWriting.write(Data((workload + "\n").utf8))
        guard let line = readLine() else { return nil }
        return (try? JSONDecoder().decode(Reply.self, from: line))?.seconds
    }

    private func readLine() -> Data? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[buffered.startIndex..<newline]
                buffered = Data(buffered[(newline + 1)...])
                return Data(line)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
    }
}
