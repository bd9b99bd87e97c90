// NumericTable+Gzip: a table file's text, decompressed when the file is gzip.

import Foundation

extension NumericTable {
    /// The bytes of the file at `url`, inflated when it starts with gzip's magic number 1f 8b
    /// (a `.csv.gz`).
    ///
    /// - Throws: `DataError.unreadable` naming the file and the reason: missing, or a truncated
    ///   or corrupt gzip stream.
    static func bytes(contentsOf url: URL) throws -> [UInt8] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        var bytes = [UInt8](data)
        if Gzip.isGzip(bytes) {
            do {
                bytes = try Gzip.decompress(bytes)
            } catch let error as GzipError {
                throw DataError.unreadable(path: url.path, reason: error.description)
            }
        }
        return bytes
    }
}

extension NumericTable {
    /// The UTF-8 text of the file at `url`, inflated first when it is gzip (see `bytes(contentsOf:)`).
    ///
    /// - Throws: `DataError.unreadable` naming the file and the reason: missing, not UTF-8, or a
    ///   truncated or corrupt gzip stream.
    public static func text(contentsOf url: URL) throws -> String {
        guard let text = String(validating: try bytes(contentsOf: url), as: UTF8.self) else {
            throw DataError.unreadable(path: url.path, reason: "the file is not UTF-8 text")
        }
        return text
    }
}
