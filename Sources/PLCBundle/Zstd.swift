import CZstd

/// zstd compression through the system libzstd, for plcbundle files.
package enum Zstd {
    /// A libzstd failure.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        /// libzstd's error name, or what was wrong with the input.
        package var description: String
    }

    /// Compresses bytes into one zstd frame (with its content size recorded).
    /// - Parameters:
    ///   - input: the bytes.
    ///   - level: the compression level (plcbundle uses 3).
    package static func compress(_ input: [UInt8], level: Int32 = 3) throws(Failure) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                ZSTD_compress(destination.baseAddress, bound, source.baseAddress, source.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw Failure(description: String(cString: ZSTD_getErrorName(written))) }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses every frame in `input`.
    /// - Parameters:
    ///   - input: zstd data.
    ///   - maxSize: the most output accepted (a guard against decompression bombs).
    package static func decompress(_ input: [UInt8], maxSize: Int) throws(Failure) -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw Failure(description: "cannot allocate a zstd context") }
        defer { ZSTD_freeDCtx(context) }
        let chunkSize = ZSTD_DStreamOutSize()
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var lastResult = 0
        var failure: Failure?
        input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            repeat {
                let (result, produced) = chunk.withUnsafeMutableBytes { destination in
                    var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
                    let result = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                    return (result, outBuffer.pos)
                }
                if ZSTD_isError(result) != 0 {
                    failure = Failure(description: String(cString: ZSTD_getErrorName(result)))
                    return
                }
                output.append(contentsOf: chunk[..<produced])
                if output.count > maxSize {
                    failure = Failure(description: "decompressed data exceeds \(maxSize) bytes")
                    return
                }
                lastResult = result
                if produced == 0 && inBuffer.pos == inBuffer.size && result != 0 {
                    failure = Failure(description: "truncated zstd frame")
                    return
                }
            } while inBuffer.pos < inBuffer.size || lastResult != 0 && failure == nil
        }
        if let failure { throw failure }
        return output
    }
}
