// TrainingCheckpoint: a run's whole state in one file — parameters, optimizer state, the step
// and the curves — written to a temporary file and renamed, so a crash never leaves a torn file.

import Foundation

/// Everything a `TrainingLoop` needs to continue bit for bit.
public struct TrainingCheckpoint<State: Codable & Sendable>: Codable, Sendable {
    /// The file format's version; a reader refuses others.
    public static var formatVersion: Int { 1 }

    /// The version this checkpoint was written in.
    public var formatVersion: Int
    /// Free text describing the run's settings (model, optimizer, data, seeds); resuming checks it
    /// against the resuming run's, so a checkpoint is never continued under other settings.
    public var settings: String
    /// Loop iterations done (the index of the next one).
    public var step: Int
    /// θ after `step` iterations.
    public var parameters: Tensor
    /// The optimizer's state after `step` iterations.
    public var optimizerState: State
    /// The curves so far.
    public var history: TrainingHistory

    /// A checkpoint of these values, in the current format.
    public init(settings: String, step: Int, parameters: Tensor, optimizerState: State, history: TrainingHistory) {
        self.formatVersion = Self.formatVersion
        self.settings = settings
        self.step = step
        self.parameters = parameters
        self.optimizerState = optimizerState
        self.history = history
    }

    /// Writes the checkpoint as JSON to `url` atomically: to a temporary file in the same
    /// directory, flushed, then renamed over `url` (rename(2) replaces a file in one step on one
    /// file system), so `url` always holds a whole checkpoint, the old one or the new one.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw TrainingError.checkpointWriteFailed(path: url.path, reason: "\(error)")
        }
        try Self.writeAtomically(data, to: url)
    }

    /// Reads a checkpoint written by `write(to:)`.
    ///
    /// - Throws: `TrainingError.invalidCheckpoint` naming the file when it is missing, not a
    ///   checkpoint of this optimizer's state, or of another format version.
    public static func read(from url: URL) throws -> TrainingCheckpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: error.localizedDescription)
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let version = try? decoder.decode(CheckpointVersion.self, from: data) else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "not a training checkpoint (no formatVersion)")
        }
        guard version.formatVersion == formatVersion else {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "format version \(version.formatVersion), this build reads \(formatVersion)")
        }
        do {
            return try decoder.decode(TrainingCheckpoint.self, from: data)
        } catch {
            throw TrainingError.invalidCheckpoint(path: url.path, reason: "it does not hold this optimizer's state (\(error))")
        }
    }

    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw TrainingError.checkpointWriteFailed(path: url.path, reason: "cannot create \(temporary.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch let error as TrainingError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw TrainingError.checkpointWriteFailed(path: url.path, reason: error.localizedDescription)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TrainingError.checkpointWriteFailed(path: url.path, reason: reason)
        }
    }
}

/// The one field every checkpoint format has, read before the rest.
private struct CheckpointVersion: Decodable { var formatVersion: Int }
