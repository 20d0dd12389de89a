import ATCore
import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of a blob being read, in chunks: from a file, from an object-store response, or from memory.
///
/// Iterate it once. A file is closed when the last copy of the stream is released.
package struct BlobByteStream: AsyncSequence, Sendable {
    /// A chunk.
    package typealias Element = ByteBuffer

    enum Source: Sendable {
        case buffer(ByteBuffer)
        case file(BlobFile, range: Range<Int>)
        case http(HTTPClientResponse.Body)
    }

    let source: Source

    init(_ source: Source) { self.source = source }

    /// A stream over bytes already in memory.
    /// - Parameters:
    ///   - buffer: the bytes.
    package init(buffer: ByteBuffer) { self.source = .buffer(buffer) }

    /// The chunk size used when reading files.
    static let fileChunkSize = 64 * 1024

    /// Iterates the chunks.
    package struct AsyncIterator: AsyncIteratorProtocol {
        enum State {
            case buffer(ByteBuffer?)
            case file(BlobFile, next: Int, end: Int)
            case http(HTTPClientResponse.Body.AsyncIterator)
        }
        var state: State

        /// The next chunk, or `nil` at the end.
        package mutating func next() async throws -> ByteBuffer? {
            switch state {
            case .buffer(let buffer):
                state = .buffer(nil)
                guard let buffer, buffer.readableBytes > 0 else { return nil }
                return buffer
            case .file(let file, let offset, let end):
                guard offset < end else { return nil }
                let count = Swift.min(BlobByteStream.fileChunkSize, end - offset)
                let chunk = try await file.read(at: offset, count: count)
                guard chunk.readableBytes > 0 else { throw BlobStoreError.io(errno: EIO) }  // truncated under us
                state = .file(file, next: offset + chunk.readableBytes, end: end)
                return chunk
            case .http(var iterator):
                do {
                    let chunk = try await iterator.next()
                    state = .http(iterator)
                    return chunk
                } catch {
                    throw S3Client.map(error)
                }
            }
        }
    }

    /// Starts iterating.
    package func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .buffer(let buffer): AsyncIterator(state: .buffer(buffer))
        case .file(let file, let range): AsyncIterator(state: .file(file, next: range.lowerBound, end: range.upperBound))
        case .http(let body): AsyncIterator(state: .http(body.makeAsyncIterator()))
        }
    }

    /// All the bytes in one buffer.
    /// - Parameters:
    ///   - maxBytes: fail with ``BlobStoreError/tooLarge(limit:)`` beyond this many bytes.
    package func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var out = ByteBuffer()
        for try await var chunk in self {
            guard out.readableBytes + chunk.readableBytes <= maxBytes else { throw BlobStoreError.tooLarge(limit: maxBytes) }
            out.writeBuffer(&chunk)
        }
        return out
    }
}

/// An open, read-only file descriptor, closed on release. Reads are positional (`pread`), so concurrent readers do
/// not share an offset.
final class BlobFile: Sendable {
    let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { _ = close(descriptor) }

    /// Reads up to `count` bytes at `offset`, off the cooperative pool.
    func read(at offset: Int, count: Int) async throws -> ByteBuffer {
        try await BlockingPool.shared.run { [self] in
            var buffer = ByteBuffer()
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                while true {
                    let n = pread(self.descriptor, pointer.baseAddress, count, off_t(offset))
                    if n >= 0 { return n }
                    if errno != EINTR { throw BlobStoreError.io(errno: errno) }
                }
            }
            _ = read
            return buffer
        }
    }
}
